#include "workloads/support/external_program.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "base/file_text.h"
#include "base/process_tree.h"
#include "workloads/support/probe_report.h"

namespace allocmark {
namespace {

double NowS() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) +
         static_cast<double>(tv.tv_usec) * 1e-6;
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(path, ec);
  return ec ? path : canonical.string();
}

// The child's own LD_PRELOAD ("" when unset).
std::string InheritedPreload() {
  const char* value = std::getenv("LD_PRELOAD");
  return value != nullptr ? value : "";
}

// The recorder library while the programs under test are recorded
// (external_program.h: Recording), else "".
std::string RecorderLibrary() {
  const char* stem = std::getenv(kRecordProgramStemVariable);
  const char* library = std::getenv(kRecordLibraryVariable);
  if (stem == nullptr || *stem == '\0' || library == nullptr) return "";
  return library;
}

// The trace the next program under test records to: STEM.trace for the
// first of this process, STEM-2.trace, STEM-3.trace ... after it.
std::string NextTracePath() {
  static int programs = 0;
  std::string path = std::getenv(kRecordProgramStemVariable);
  if (++programs > 1) {
    path += '-';
    path += std::to_string(programs);
  }
  path += ".trace";
  return path;
}

// What a program's environment changes: LD_PRELOAD as the spec wants it
// (the recorder when recording, the allocator, then the probe, for a program
// under test), where the probe reports and the recorder writes, the spec's
// variables.
std::map<std::string, std::optional<std::string>> EnvironmentChanges(
    const ProgramSpec& spec, const std::string& probe_out) {
  std::map<std::string, std::optional<std::string>> changes;
  changes["LD_PRELOAD"] = std::nullopt;
  changes["ALLOCMARK_PROBE_OUT"] = std::nullopt;
  changes[kRecordProgramStemVariable] = std::nullopt;
  changes[kRecordLibraryVariable] = std::nullopt;
  if (spec.under_test) {
    std::string preload = InheritedPreload();
    std::string recorder = RecorderLibrary();
    changes["LD_PRELOAD"] = (recorder.empty() ? "" : recorder + " ") +
                            (preload.empty() ? LibcPath() : preload) + " " +
                            Program::ProbeLibrary();
    changes["ALLOCMARK_PROBE_OUT"] = probe_out;
    if (!recorder.empty()) changes["ALLOCMARK_RECORD_OUT"] = NextTracePath();
  }
  for (const auto& [name, value] : spec.env) changes[name] = value;
  return changes;
}

// The resource use of a reaped program, with that of the orphans it left.
ProgramUsage TreeUsage(const rusage& program, const rusage& adopted) {
  ProgramUsage u;
  u.programs = 1;
  u.user_s = Seconds(program.ru_utime) + Seconds(adopted.ru_utime);
  u.sys_s = Seconds(program.ru_stime) + Seconds(adopted.ru_stime);
  // wait4's ru_maxrss is the largest of the process and every descendant
  // it waited for (KiB on Linux), but it counts the pages each had between
  // fork and exec, a copy of its parent's: the probe's own peaks replace it
  // where the processes reported them (Program::Wait).
  u.peak_rss_bytes = static_cast<std::int64_t>(
                         std::max(program.ru_maxrss, adopted.ru_maxrss)) *
                     1024;
  u.page_faults = program.ru_minflt + adopted.ru_minflt;
  u.major_page_faults = program.ru_majflt + adopted.ru_majflt;
  return u;
}

}  // namespace

std::string LibcPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&gnu_get_libc_version), &info) ==
          0 ||
      info.dli_fname == nullptr)
    return "";
  return Canonical(info.dli_fname);
}

std::string ProgramExit::Describe(double timeout_s) const {
  if (timed_out)
    return "timed out after " + std::to_string(static_cast<long>(timeout_s)) +
           " s";
  if (ProcessExit::ok() && !proof_error.empty()) return proof_error;
  return DescribeExit(exit_code, signal);
}

std::string ProgramMemoryMethod() {
  return CgroupUnavailable().empty() ? "cgroup" : "proc-tree";
}

std::string Program::ProbeLibrary() {
  if (const char* path = std::getenv("ALLOCMARK_PROBE_LIBRARY");
      path != nullptr && *path != '\0')
    return path;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "liballocmark-probe.so").string();
}

std::string Program::Start(const ProgramSpec& spec) {
  under_test_ = spec.under_test;
  probe_dir_.reset();
  cgroup_.reset();
  SpawnSpec spawn;
  std::string probe_out;
  if (under_test_) {
    const std::string probe = ProbeLibrary();
    if (access(probe.c_str(), R_OK) != 0)
      return "allocmark's probe library " + probe +
             " is missing (build the allocmark-probe target)";
    probe_dir_ = std::make_unique<TempDir>("allocmark-probe");
    if (probe_dir_->path().empty())
      return "cannot create a temporary directory for the probe";
    probe_out = probe_dir_->File("reports.jsonl");
    AdoptOrphans();
    if (CgroupUnavailable().empty()) {
      std::string error;
      cgroup_ = Cgroup::Create(&error);
      if (cgroup_ == nullptr) return error;
      spawn.cgroup_procs_fds = cgroup_->procs_fds();
    }
  }
  spawn.argv = spec.argv;
  spawn.env = EnvironmentChanges(spec, probe_out);
  spawn.stdin_path = spec.stdin_path;
  spawn.output_path = spec.output_path.empty() ? "/dev/null" : spec.output_path;
  spawn.working_dir = spec.working_dir;
  return process_.Start(spawn);
}

std::string Program::ExpectedMallocLibrary() {
  // Recorded programs reach the recorder first; the trace's header names the
  // object it forwards to (`allocmark record --workloads` checks it).
  if (std::string recorder = RecorderLibrary(); !recorder.empty())
    return Canonical(recorder);
  std::string preload = InheritedPreload();
  std::string first = preload.substr(0, preload.find_first_of(": "));
  return first.empty() ? LibcPath() : Canonical(first);
}

std::string Program::ProveAllocator() {
  if (!under_test_ || probe_dir_ == nullptr) return "";
  const std::string expected = ExpectedMallocLibrary();
  const std::string reports_path = probe_dir_->File("reports.jsonl");
  const double deadline = NowS() + 10;
  // The probe reports from its constructor, before main(): a program that
  // has exited has reported, or never will.
  for (;;) {
    const bool exited = HasExited();
    ProbeReports reports = ReadProbeReports(reports_path);
    if (const ProbeStart* start = reports.LastStart(pid()); start != nullptr) {
      ProbeReports program;
      program.starts.push_back(*start);
      return CheckProbeReports(program, pid(), expected);
    }
    if (exited) return CheckProbeReports(reports, pid(), expected);
    if (NowS() > deadline)
      return "the program did not report within 10 s which object serves "
             "its malloc";
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

ProgramExit Program::Wait(double timeout_s, RunContext* ctx) {
  const double deadline = NowS() + timeout_s;
  const bool exited = process_.AwaitExit(
      100, [&] { return timeout_s > 0 && NowS() > deadline; });
  if (!exited) process_.SignalGroup(SIGKILL);
  // The sampler stops reading the program's tree before its pid is freed.
  if (ctx != nullptr) ctx->SetMeasuredPid(0);
  const pid_t pid = process_.pid();
  ProgramExit exit;
  static_cast<ProcessExit&>(exit) = process_.Reap();
  exit.timed_out = !exited;
  if (exit.timed_out) exit.signal = 0;  // the kill is not the program's
  // Reap killed the rest of the program's group; its orphans are this
  // process's children now (AdoptOrphans).
  exit.tree = TreeUsage(exit.usage, under_test_ ? ReapAdopted(pid) : rusage{});
  const bool cgroup_method = cgroup_ != nullptr;
  if (cgroup_ != nullptr) {
    // The kernel's account of the whole tree, whatever left the group.
    cgroup_->Kill();
    Cgroup::Usage u = cgroup_->ReadUsage();
    exit.tree.user_s = u.user_s;
    exit.tree.sys_s = u.sys_s;
    exit.tree.page_faults = u.page_faults - u.major_page_faults;
    exit.tree.major_page_faults = u.major_page_faults;
    exit.tree.peak_rss_bytes = std::max<std::int64_t>(cgroup_->PeakBytes(), 0);
    cgroup_.reset();
  }
  if (under_test_ && probe_dir_ != nullptr) {
    ProbeReports reports = ReadProbeReports(probe_dir_->File("reports.jsonl"));
    exit.proof_error = CheckProbeReports(reports, pid, ExpectedMallocLibrary());
    if (auto it = reports.exit_stats.find(pid); it != reports.exit_stats.end())
      exit.tree.allocator_stats = it->second;
    // Without a cgroup: the largest peak any process of the tree reported
    // (the sampler adds the tree's sum over time).
    std::int64_t reported = 0;
    for (const auto& [reporter, bytes] : reports.exit_peak_rss_bytes)
      reported = std::max(reported, bytes);
    if (!cgroup_method && reported > 0) exit.tree.peak_rss_bytes = reported;
  }
  return exit;
}

ProgramExit Program::Stop(double grace_s, RunContext* ctx) {
  process_.SignalGroup(SIGTERM);
  ProgramExit exit = Wait(grace_s, ctx);
  exit.timed_out = false;  // killed after the grace period: still stopped
  return exit;
}

std::optional<ProgramExit> RunMeasuredProgram(const ProgramSpec& spec,
                                              double timeout_s,
                                              RunContext& ctx) {
  Program program;
  if (std::string error = program.Start(spec); !error.empty()) {
    ctx.Fail("cannot start " + spec.argv[0] + ": " + error);
    return std::nullopt;
  }
  ctx.SetMeasuredPid(program.pid());
  if (std::string error = program.ProveAllocator(); !error.empty()) {
    ctx.SetMeasuredPid(0);
    ctx.Fail(error);
    return std::nullopt;
  }
  ProgramExit exit = program.Wait(timeout_s, &ctx);
  if (!exit.proof_error.empty()) {
    ctx.Fail(exit.proof_error);
    return std::nullopt;
  }
  if (!exit.ok()) {
    std::string reason =
        std::filesystem::path(spec.argv[0]).filename().string() + " " +
        exit.Describe(timeout_s);
    if (std::string tail = TailOfFile(spec.output_path); !tail.empty())
      reason += ": " + tail;
    ctx.Fail(reason);
    return std::nullopt;
  }
  ctx.AddProgramUsage(exit.Usage());
  return exit;
}

std::string WorkloadDataPath(const std::string& name) {
  const char* dir = std::getenv("ALLOCMARK_WORKLOAD_DATA");
  return std::string(dir != nullptr && *dir != '\0'
                         ? dir
                         : ALLOCMARK_WORKLOAD_DATA_DIR) +
         "/" + name;
}

std::optional<std::string> OutputValue(const std::string& path,
                                       const std::string& key) {
  std::ifstream in(path);
  std::optional<std::string> value;
  const std::string prefix = key + ": ";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) value = line.substr(prefix.size());
  return value;
}

}  // namespace allocmark
