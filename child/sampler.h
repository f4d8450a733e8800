// The child's RSS sampler: a thread that records the process's resident set
// (/proc/self/statm) and the workload's live requested bytes at a fixed
// interval, from Start() to Stop(), for the RSS-over-time and fragmentation
// figures. When a real-program workload names the process it measures
// (RunContext::SetMeasuredPid), the series is that program's whole tree
// instead, with no live bytes: the current memory of the cgroup allocmark
// made for it (base/cgroup.h: memory.current, or v1's memory.usage_in_bytes),
// or else the resident sets of the program and its descendants summed from
// /proc (base/process_tree.h). The samples of the child before it are
// dropped, and moments with no program running are skipped.
// Samples go to a buffer reserved up front; the sampler allocates nothing while
// it runs, so it does not perturb the heap it watches.
#ifndef ALLOCMARK_CHILD_SAMPLER_H_
#define ALLOCMARK_CHILD_SAMPLER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/process_tree.h"
#include "base/resident_set.h"
#include "child/fragmentation_measures.h"
#include "workloads/support/run_context.h"

namespace allocmark {

// t_s since Start(), resident set, live requested bytes (not yet freed).
using Sample = SeriesPoint;

class Sampler {
 public:
  // interval: time between samples; max_samples bounds the buffer (the
  // interval doubles, keeping every other sample, when it fills).
  Sampler(const RunContext& ctx, std::chrono::microseconds interval,
          std::size_t max_samples = 1 << 16);
  ~Sampler();

  void Start();
  void Stop();  // takes a last sample
  const std::vector<Sample>& samples() const { return samples_; }
  std::int64_t PeakRssBytes() const;
  std::int64_t PeakLiveBytes() const;

  // Writes t_s,rss_bytes,live_bytes rows; false if the file cannot be written.
  bool WriteCsv(const std::string& path) const;

 private:
  void Loop();
  void TakeSample();

  const RunContext& ctx_;
  std::chrono::microseconds interval_;
  std::size_t max_samples_;
  std::chrono::steady_clock::time_point start_;
  std::vector<Sample> samples_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  // statm is opened once per process and read with one pread per sample.
  ResidentSetReader self_rss_;
  // A real-program workload's process (RunContext::measured_pid): once one
  // is set, the series holds only samples of the measured programs' trees.
  bool external_ = false;
  int external_pid_ = 0;
  int external_cgroup_fd_ = -1;  // its cgroup's current memory, if it has one
  ProcessTreeReader external_tree_;  // else its tree in /proc
};

}  // namespace allocmark

#endif  // ALLOCMARK_CHILD_SAMPLER_H_
