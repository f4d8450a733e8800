// The four fragmentation measures of Johnstone and Wilson ("The memory
// fragmentation problem: solved?", ISMM 1998), computed from the sampler's
// series of one cell. Each is a ratio (dimensionless) of the memory the run
// holds resident to the bytes the workload has requested and not freed:
// 1.0 is no overhead, 1.5 is 50% more resident than live.
//
// "Memory used" is the resident set above the baseline taken when the timed
// region began (rss_bytes - baseline_rss_bytes): the binary, the libraries
// and the workload's pre-generated trace are resident before the timed region
// and are no part of the allocator's overhead. docs/methodology.md defines
// each measure and what it does not capture.
#ifndef ALLOCMARK_CHILD_FRAGMENTATION_MEASURES_H_
#define ALLOCMARK_CHILD_FRAGMENTATION_MEASURES_H_

#include <cstdint>
#include <optional>
#include <span>

namespace allocmark {

// One point of the series: seconds since the timed region began, resident
// set and live requested bytes at that moment.
struct SeriesPoint {
  double t_s;
  std::int64_t rss_bytes;
  std::int64_t live_bytes;
};

// Each measure is empty when the series cannot define it (no sample with
// live bytes, an unreadable RSS).
struct Fragmentation {
  // #1: time-average of used memory over time-average of live memory
  // (trapezoidal integrals over t_s; a ratio of averages, because an average
  // of ratios diverges where live bytes approach 0 at start and end).
  std::optional<double> time_avg;
  // #2: used / live at the sample with the most live bytes (the first such).
  std::optional<double> at_peak_live;
  // #3: used / live at the sample with the most used memory (the first such).
  std::optional<double> at_peak_rss;
  // #4: the largest used memory over the largest live bytes, each taken at
  // its own moment; `peak_rss_bytes` and `peak_live_bytes` are the run's
  // peaks (they may be finer than the samples: kernel high-water mark, exact
  // per-thread peaks).
  std::optional<double> max_over_max;
};

// Samples with a negative rss_bytes (unreadable) are skipped.
Fragmentation ComputeFragmentation(std::span<const SeriesPoint> series,
                                   std::int64_t baseline_rss_bytes,
                                   std::int64_t peak_rss_bytes,
                                   std::int64_t peak_live_bytes);

}  // namespace allocmark

#endif  // ALLOCMARK_CHILD_FRAGMENTATION_MEASURES_H_
