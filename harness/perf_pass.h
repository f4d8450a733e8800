// The allocator's share of a cell's time, by sampling: `allocmark run --perf`
// runs rep 0 of each cell once more under `perf record -e cpu-clock` (a
// software clock: no hardware counters needed, as in a VM) with the
// allocator preloaded, and counts the samples of the timed region whose code
// is the allocator's. A sample in the kernel (a page fault, an mmap) counts
// for the user code that entered the kernel, read from its call chain.
// The instruction share (callgrind.h) is exact and repeatable; this one is
// in time, so it sees cache misses, contention and system calls, at the
// cost of sampling noise (about 1/sqrt(samples)).
#ifndef ALLOCMARK_HARNESS_PERF_PASS_H_
#define ALLOCMARK_HARNESS_PERF_PASS_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "harness/allocator_choice.h"
#include "harness/callgrind_file.h"
#include "harness/cell_runner.h"
#include "harness/matrix.h"
#include "harness/result_store.h"

namespace allocmark {

inline constexpr const char* kPerf = "/usr/bin/perf";
inline constexpr int kPerfSamplesPerSecond = 4999;

// "" when `perf record -e cpu-clock` works here; otherwise why it does not
// (perf missing, a kernel that refuses), with the remedy. Runs perf once.
std::string PerfUnavailableReason();

// What counts as the allocator's code, for TimeShareOfSamples.
struct SampleCode {
  AllocatorCode allocator;  // the preloaded library, the heaps' sources
  std::string child_path;   // the workload binary
};

struct TimeShare {
  std::int64_t samples = 0;            // in the timed region
  std::int64_t allocator_samples = 0;  // of which in the allocator or heap
};

// Counts the samples of `perf script -F time,ip,sym,dso` output between
// begin_s and end_s (CLOCK_MONOTONIC seconds). A sample is the allocator's
// when the first user-space frame of its chain is in code.allocator.library,
// is a function IsAllocatorFunctionName accepts or one of glibc's malloc
// internals, or is an address of the workload binary whose innermost inlined
// source line is a heap source (AllocatorCode::IsHeapSource; resolved with
// addr2line).
TimeShare TimeShareOfSamples(std::string_view script, double begin_s,
                             double end_s, const SampleCode& code);

// Runs `cell` under perf and adds to `result` the figures
// allocator_time_share (a fraction) and perf_samples (samples in the timed
// region), or perf_error (why). Files: logs/<cell>.perf.*.
void MeasureTimeShare(const Cell& cell, const AllocatorChoice& allocator,
                      const CellRunOptions& options, const RunStore& store,
                      CellResult& result);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_PERF_PASS_H_
