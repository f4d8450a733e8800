#include "child/measure.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "base/resident_set.h"
#include "child/fragmentation_measures.h"
#include "harness/figures.h"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

namespace allocmark {
namespace {

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) +
         static_cast<double>(tv.tv_usec) * 1e-6;
}

// VmHWM from /proc/self/status in bytes; -1 when unreadable.
std::int64_t HighWaterMarkBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::int64_t kib = -1;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 12, '\n');
  }
  return -1;
}

}  // namespace

double Percentile(std::vector<std::int64_t>& values, double q) {
  if (values.empty()) return 0;
  auto rank = static_cast<std::size_t>(
      std::ceil(q * static_cast<double>(values.size())));
  std::size_t index = rank == 0 ? 0 : std::min(rank - 1, values.size() - 1);
  std::nth_element(values.begin(),
                   values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return static_cast<double>(values[index]);
}

namespace {

constexpr std::int64_t kFragmentationMinLiveBytes = 1 << 20;

double MonotonicSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

void CellMeasure::Begin() {
  // Writing 5 to clear_refs resets the peak-RSS high-water mark (Linux >= 4.0),
  // so VmHWM afterwards belongs to the timed region, not to trace generation.
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.close();
  hwm_reset_ = clear.good();
  baseline_rss_bytes_ = ResidentBytes();
  getrusage(RUSAGE_SELF, &begin_);
  // Under `valgrind --tool=callgrind --instr-atstart=no` (allocmark run
  // --callgrind) count only the timed region, on every thread: starting
  // instrumentation turns collection on for all threads, those the workload
  // creates included (a collection toggle would reach only this thread).
  // A few instructions when not under valgrind.
  CALLGRIND_START_INSTRUMENTATION;
  begin_monotonic_s_ = MonotonicSeconds();
}

void CellMeasure::End() {
  end_monotonic_s_ = MonotonicSeconds();
  CALLGRIND_STOP_INSTRUMENTATION;
  getrusage(RUSAGE_SELF, &end_);
}

void CellMeasure::Report(benchmark::State& state, const RunContext& ctx,
                         const Sampler& sampler,
                         const AllocatorStats& stats) const {
  using benchmark::Counter;
  auto& c = state.counters;
  // A figure of harness/figures.json: the driver copies every one it finds.
  auto put = [&c](Figure f, double value,
                  Counter::Flags flags = Counter::kDefaults) {
    c[std::string(f.name())] = Counter(value, flags);
  };
  const double ops = static_cast<double>(ctx.Ops());
  put("ops", ops);
  put("ops_per_s", ops, Counter::kIsRate);
  std::int64_t peak_rss = sampler.PeakRssBytes();
  if (hwm_reset_) peak_rss = std::max(peak_rss, HighWaterMarkBytes());
  std::int64_t peak_live =
      std::max(sampler.PeakLiveBytes(), ctx.LargestThreadPeakBytes());
  put("peak_rss_bytes", static_cast<double>(peak_rss));
  put("baseline_rss_bytes", static_cast<double>(baseline_rss_bytes_));
  put("peak_live_bytes", static_cast<double>(peak_live));
  // The whole process's peak over the peak live bytes: the binary, the
  // libraries and the workload's trace included, so never the headline.
  put("process_rss_over_live",
      peak_live > 0
          ? static_cast<double>(peak_rss) / static_cast<double>(peak_live)
          : 0);
  // Johnstone & Wilson's four measures, on the resident set above baseline.
  Fragmentation jw = ComputeFragmentation(
      sampler.samples(), baseline_rss_bytes_, peak_rss, peak_live);
  // The headline: what the heap holds resident at its peak over what the
  // workload holds live at its peak, both above the baseline (#4).
  // Below a mebibyte of live bytes the ratio says more about page
  // granularity and the allocator's fixed start-up cost than about how it
  // packs the heap, so no headline is given (the four measures stay).
  if (jw.max_over_max && peak_live >= kFragmentationMinLiveBytes)
    put("fragmentation", *jw.max_over_max);
  const std::pair<Figure, const std::optional<double>&> jw_figures[] = {
      {Figure("frag_time_avg"), jw.time_avg},
      {Figure("frag_at_peak_live"), jw.at_peak_live},
      {Figure("frag_at_peak_rss"), jw.at_peak_rss},
      {Figure("frag_max_over_max"), jw.max_over_max}};
  for (const auto& [figure, value] : jw_figures)
    if (value) put(figure, *value);
  // Not figures: the timed region on the perf pass's clock (perf_pass.h).
  c["timed_begin_monotonic_s"] = Counter(begin_monotonic_s_);
  c["timed_end_monotonic_s"] = Counter(end_monotonic_s_);
  put("user_s", Seconds(end_.ru_utime) - Seconds(begin_.ru_utime));
  put("sys_s", Seconds(end_.ru_stime) - Seconds(begin_.ru_stime));
  put("page_faults", static_cast<double>(end_.ru_minflt - begin_.ru_minflt));
  put("major_page_faults",
      static_cast<double>(end_.ru_majflt - begin_.ru_majflt));
  // A real-program workload measured another process: its own figures
  // (wait4's rusage; the sampler read its /proc/PID/statm) replace the
  // child's, which only started it and waited.
  if (const ProgramUsage& program = ctx.program_usage(); program.programs > 0) {
    put("peak_rss_bytes", static_cast<double>(std::max(
                              sampler.PeakRssBytes(), program.peak_rss_bytes)));
    put("baseline_rss_bytes", 0);
    put("user_s", program.user_s);
    put("sys_s", program.sys_s);
    put("page_faults", static_cast<double>(program.page_faults));
    put("major_page_faults", static_cast<double>(program.major_page_faults));
  }
  std::vector<std::int64_t> latencies = ctx.AllLatencies();
  if (!latencies.empty()) {
    put("latency_samples", static_cast<double>(latencies.size()));
    put("p50_ns", Percentile(latencies, 0.50));
    put("p90_ns", Percentile(latencies, 0.90));
    put("p99_ns", Percentile(latencies, 0.99));
    put("p999_ns", Percentile(latencies, 0.999));
    put("max_ns", Percentile(latencies, 1.0));
  }
  for (const auto& [name, value] : ctx.counters())
    c["workload." + name] = Counter(value);
  // The child's allocator statistics say nothing of an external program's
  // heap: the program's own allocator's, read inside it by the probe, do.
  const AllocatorStats& cell_stats = ctx.program_usage().programs == 0
                                         ? stats
                                         : ctx.program_usage().allocator_stats;
  for (const auto& [name, value] : cell_stats)
    c["stats." + name] = Counter(value);
}

}  // namespace allocmark
