// The figures of one measured run besides Google Benchmark's own time: CPU
// time and page faults (getrusage around the timed region), peak RSS (the
// kernel's high-water mark, reset at the start of the timed region, and the
// sampler's maximum), peak live bytes, fragmentation, latency percentiles and
// allocator statistics. Written as Google Benchmark counters, which the
// driver reads from the child's JSON.
#ifndef ALLOCMARK_CHILD_MEASURE_H_
#define ALLOCMARK_CHILD_MEASURE_H_

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdint>
#include <vector>

#include "allocators/process_allocators.h"
#include "child/sampler.h"
#include "workloads/support/run_context.h"

namespace allocmark {

// Percentile q (0..1) of `values`, nearest rank; `values` is reordered.
// Returns 0 for an empty vector.
double Percentile(std::vector<std::int64_t>& values, double q);

class CellMeasure {
 public:
  void Begin();  // just before the timed region
  void End();    // just after it
  void Report(benchmark::State& state, const RunContext& ctx,
              const Sampler& sampler, const AllocatorStats& stats) const;

 private:
  rusage begin_{};
  rusage end_{};
  // CLOCK_MONOTONIC at Begin and End, in seconds: the timed region on the
  // clock `perf record -k mono` stamps samples with (the perf pass).
  double begin_monotonic_s_ = 0;
  double end_monotonic_s_ = 0;
  std::int64_t baseline_rss_bytes_ = 0;
  bool hwm_reset_ = false;
};

}  // namespace allocmark

#endif  // ALLOCMARK_CHILD_MEASURE_H_
