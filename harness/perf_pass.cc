#include "harness/perf_pass.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "harness/callgrind_file.h"
#include "harness/child_process.h"
#include "harness/tool_run.h"

namespace allocmark {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// glibc's malloc internals (malloc/malloc.c, arena.c), which its entry
// points call and a sample may land in.
bool IsGlibcMallocInternal(std::string_view sym) {
  for (std::string_view prefix :
       {"_int_", "malloc_", "sysmalloc", "systrim", "tcache_", "arena_",
        "unlink_chunk", "munmap_chunk", "mremap_chunk", "new_heap", "heap_trim",
        "grow_heap", "shrink_heap", "_mid_memalign"})
    if (sym.substr(0, prefix.size()) == prefix) return true;
  return false;
}

bool IsKernel(std::string_view dso) {
  return dso == "[kernel.kallsyms]" || dso.substr(0, 8) == "[kernel." ||
         dso == "[unknown]" || dso == "[vdso]";
}

struct Frame {
  std::uint64_t ip = 0;
  std::string sym;
  std::string dso;
};

// One frame line: "\t  7f12 sym (dso)" with a hexadecimal ip.
bool ParseFrame(std::string_view line, Frame& f) {
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  std::size_t end = line.find(' ', i);
  if (end == std::string_view::npos) return false;
  auto [p, ec] = std::from_chars(line.data() + i, line.data() + end, f.ip, 16);
  if (ec != std::errc() || p != line.data() + end) return false;
  std::size_t open = line.rfind(" (");
  if (open == std::string_view::npos || line.back() != ')' || open < end)
    return false;
  f.sym = std::string(line.substr(end + 1, open - end - 1));
  f.dso = std::string(line.substr(open + 2, line.size() - open - 3));
  return true;
}

// Each address's innermost source file in `binary`, from one addr2line call.
std::map<std::uint64_t, std::string> SourceFiles(
    const std::string& binary, const std::set<std::uint64_t>& addresses,
    const std::string& scratch) {
  std::map<std::uint64_t, std::string> files;
  if (addresses.empty()) return files;
  ChildSpec spec;
  spec.argv = {"/usr/bin/addr2line", "-i", "-a", "-e", binary};
  for (std::uint64_t a : addresses) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "0x%llx",
                  static_cast<unsigned long long>(a));
    spec.argv.emplace_back(hex);
  }
  spec.output_path = scratch;
  if (!RunChild(spec).ok()) return files;
  std::istringstream lines(ReadFile(scratch));
  std::uint64_t current = 0;
  bool first = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("0x", 0) == 0) {
      std::from_chars(line.data() + 2, line.data() + line.size(), current, 16);
      first = true;
    } else if (first) {
      files[current] = line.substr(0, line.rfind(':'));
      first = false;
    }
  }
  return files;
}

}  // namespace

TimeShare TimeShareOfSamples(std::string_view script, double begin_s,
                             double end_s, const SampleCode& code) {
  const std::string library = CanonicalPath(code.allocator.library);
  const std::string child = CanonicalPath(code.child_path);
  // Resolved once per shared object, not once per sample.
  std::map<std::string, std::string> resolved;
  auto canonical = [&](const std::string& dso) -> const std::string& {
    auto [it, added] = resolved.try_emplace(dso);
    if (added) it->second = CanonicalPath(dso);
    return it->second;
  };
  // Each sample's first user frame, or none.
  std::vector<std::optional<Frame>> samples;
  bool in_region = false, have_user = false;
  std::istringstream lines{std::string(script)};
  for (std::string text; std::getline(lines, text);) {
    std::string_view line = text;
    if (line.empty()) continue;
    if (line.front() != '\t') {
      // A sample's header: "   1842.314398: " (time, then a colon).
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view t = line.substr(0, colon);
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      double time = 0;
      auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), time);
      if (ec != std::errc() || p != t.data() + t.size()) continue;
      in_region = time >= begin_s && time <= end_s;
      have_user = false;
      if (in_region) samples.emplace_back();
      continue;
    }
    Frame f;
    if (!in_region || have_user || !ParseFrame(line, f)) continue;
    if (IsKernel(f.dso)) continue;
    have_user = true;
    samples.back() = f;
  }
  std::set<std::uint64_t> child_addresses;
  for (const auto& s : samples)
    if (s && canonical(s->dso) == child) child_addresses.insert(s->ip);
  std::map<std::uint64_t, std::string> files;
  if (!child_addresses.empty()) {
    const std::string scratch =
        (std::filesystem::temp_directory_path() /
         ("allocmark-addr2line-" + std::to_string(::getpid())))
            .string();
    files = SourceFiles(child, child_addresses, scratch);
    std::filesystem::remove(scratch);
  }
  TimeShare share;
  for (const auto& s : samples) {
    ++share.samples;
    if (!s) continue;
    const std::string& dso = canonical(s->dso);
    bool allocator =
        (!library.empty() && dso == library) || IsAllocatorFunctionName(s->sym);
    if (!allocator && dso.find("/libc.so") != std::string::npos)
      allocator = IsGlibcMallocInternal(s->sym);
    if (!allocator && dso == child) {
      auto it = files.find(s->ip);
      allocator = it != files.end() && code.allocator.IsHeapSource(it->second);
    }
    share.allocator_samples += allocator ? 1 : 0;
  }
  return share;
}

std::string PerfUnavailableReason() {
  if (access(kPerf, X_OK) != 0)
    return std::string(kPerf) +
           " is missing: apt-get install linux-perf for the time share";
  const std::string scratch =
      (std::filesystem::temp_directory_path() /
       ("allocmark-perf-check-" + std::to_string(::getpid())))
          .string();
  ChildSpec spec;
  spec.argv = {kPerf, "record",          "-e", "cpu-clock",
               "-o",  scratch + ".data", "--", "/bin/true"};
  spec.output_path = scratch + ".log";
  spec.timeout_s = 60;
  ChildOutcome outcome = RunChild(spec);
  std::string log = ReadFile(spec.output_path);
  std::filesystem::remove(scratch + ".data");
  std::filesystem::remove(spec.output_path);
  if (outcome.ok()) return "";
  std::string first_line = log.substr(0, log.find('\n'));
  return "perf record -e cpu-clock " + outcome.Describe(spec) +
         (first_line.empty() ? "" : " (" + first_line + ")") +
         ": run as root or lower /proc/sys/kernel/perf_event_paranoid";
}

void MeasureTimeShare(const Cell& cell, const AllocatorChoice& allocator,
                      const CellRunOptions& options, const RunStore& store,
                      CellResult& result) {
  const std::string stem =
      (store.dir() / "logs" / (cell.id + ".perf")).string();
  const std::string data = stem + ".data";
  std::filesystem::remove(data);
  // CLOCK_MONOTONIC stamps (-k mono), the clock of the child's timed region.
  ToolRun run = RunUnderTool(
      {kPerf, "record", "-k", "mono", "-e", "cpu-clock", "-F",
       std::to_string(kPerfSamplesPerSecond), "-g", "-o", data, "--"},
      "perf", cell, allocator, options, stem, options.sample_interval_us,
      options.timeout_s * 2);
  if (!run.error.empty()) {
    result.perf_error = run.error;
    return;
  }
  const double begin_s = run.benchmark.value("timed_begin_monotonic_s", 0.0);
  const double end_s = run.benchmark.value("timed_end_monotonic_s", 0.0);
  ChildSpec script;
  script.argv = {kPerf, "script", "-i", data, "-F", "time,ip,sym,dso"};
  script.output_path = stem + ".script";
  script.timeout_s = options.timeout_s * 2;
  if (ChildOutcome o = RunChild(script); !o.ok()) {
    result.perf_error = "perf script " + o.Describe(script);
    return;
  }
  TimeShare share =
      TimeShareOfSamples(ReadFile(script.output_path), begin_s, end_s,
                         {AllocatorCodeOf(run.library), options.child_path});
  // The raw samples are large; the script's text keeps what was counted.
  std::filesystem::remove(data);
  if (share.samples == 0) {
    result.perf_error = "no sample fell in the timed region";
    return;
  }
  const auto samples = static_cast<double>(share.samples);
  result.figures.Set("allocator_time_share",
                     static_cast<double>(share.allocator_samples) / samples);
  result.figures.Set("perf_samples", samples);
}

}  // namespace allocmark
