#include "workloads/external_program.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "base/file_text.h"

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

std::string LibcPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&gnu_get_libc_version), &info) ==
          0 ||
      info.dli_fname == nullptr)
    return "";
  return Canonical(info.dli_fname);
}

// The child's own LD_PRELOAD ("" when unset).
std::string InheritedPreload() {
  const char* value = std::getenv("LD_PRELOAD");
  return value != nullptr ? value : "";
}

// What a program's environment changes: LD_PRELOAD as the spec wants it,
// the spec's variables.
std::map<std::string, std::optional<std::string>> EnvironmentChanges(
    const ProgramSpec& spec) {
  std::map<std::string, std::optional<std::string>> changes;
  changes["LD_PRELOAD"] = std::nullopt;
  if (spec.under_test) {
    std::string preload = InheritedPreload();
    changes["LD_PRELOAD"] = preload.empty() ? LibcPath() : preload;
  }
  for (const auto& [name, value] : spec.env) changes[name] = value;
  return changes;
}

// True when `maps` (a /proc/PID/maps text) maps the file at `path`.
bool Maps(const std::string& maps, const std::string& path) {
  for (std::size_t at = maps.find(path); at != std::string::npos;
       at = maps.find(path, at + 1)) {
    bool starts = at > 0 && maps[at - 1] == ' ';
    std::size_t end = at + path.size();
    bool ends = end == maps.size() || maps[end] == '\n' || maps[end] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

std::string ProgramExit::Describe(double timeout_s) const {
  if (timed_out)
    return "timed out after " + std::to_string(static_cast<long>(timeout_s)) +
           " s";
  return DescribeExit(exit_code, signal);
}

ProgramUsage ProgramExit::Usage() const {
  ProgramUsage u;
  u.programs = 1;
  u.user_s = Seconds(usage.ru_utime);
  u.sys_s = Seconds(usage.ru_stime);
  u.peak_rss_bytes =
      static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
  u.page_faults = usage.ru_minflt;
  u.major_page_faults = usage.ru_majflt;
  return u;
}

std::string Program::Start(const ProgramSpec& spec) {
  SpawnSpec spawn;
  spawn.argv = spec.argv;
  spawn.env = EnvironmentChanges(spec);
  spawn.stdin_path = spec.stdin_path;
  spawn.output_path = spec.output_path.empty() ? "/dev/null" : spec.output_path;
  spawn.working_dir = spec.working_dir;
  return process_.Start(spawn);
}

std::string Program::ExpectedMallocLibrary() {
  std::string preload = InheritedPreload();
  std::string first = preload.substr(0, preload.find_first_of(": "));
  return first.empty() ? LibcPath() : Canonical(first);
}

std::string Program::ProveAllocator() {
  const std::string expected = ExpectedMallocLibrary();
  const std::string libc = LibcPath();
  const std::string maps_path = "/proc/" + std::to_string(pid()) + "/maps";
  const double deadline = NowS() + 10;
  // ld.so maps LD_PRELOAD objects before the program's dependencies, libc
  // among them: once libc is mapped, a preload that took is mapped too.
  while (NowS() < deadline) {
    std::string maps = ReadFileText(maps_path);
    if (maps.empty())
      return "the program exited before its allocator could be proven";
    if (Maps(maps, libc)) {
      if (Maps(maps, expected)) return "";
      return "the preloaded " + expected +
             " is not mapped in the program (a static or setuid program "
             "ignores LD_PRELOAD)";
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return "the program mapped no libc within 10 s (statically linked?): its "
         "allocator "
         "cannot be swapped with LD_PRELOAD";
}

ProgramExit Program::Wait(double timeout_s, RunContext* ctx) {
  const double deadline = NowS() + timeout_s;
  const bool exited = process_.AwaitExit(
      100, [&] { return timeout_s > 0 && NowS() > deadline; });
  if (!exited) process_.SignalGroup(SIGKILL);
  // The sampler stops reading the program's statm before its pid is freed.
  if (ctx != nullptr) ctx->SetMeasuredPid(0);
  ProgramExit exit;
  static_cast<ProcessExit&>(exit) = process_.Reap();
  exit.timed_out = !exited;
  if (exit.timed_out) exit.signal = 0;  // the kill is not the program's
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
