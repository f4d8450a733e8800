// What a running workload reports to the child that times it: live requested
// bytes (read by the RSS sampler), per-thread latency samples, counters, and
// failure. Each thread writes only its own slot, with relaxed loads and
// stores and no read-modify-write, so the bookkeeping costs every heap and
// every allocator the same few instructions.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_RUN_CONTEXT_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_RUN_CONTEXT_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace allocmark {

// Resource use of the external programs a real-program workload ran and
// measured, each with all its descendants
// (workloads/support/external_program.h): CPU times and faults summed over the
// programs, the largest peak memory of any of them, and the counts their
// allocators kept, read inside them by the probe at exit (summed over the
// programs; empty where none was read).
struct ProgramUsage {
  int programs = 0;  // 0: the workload measured no external program
  double user_s = 0;
  double sys_s = 0;
  std::int64_t peak_rss_bytes = 0;
  std::int64_t page_faults = 0;
  std::int64_t major_page_faults = 0;
  std::map<std::string, double> allocator_stats;
};

// Gives `v` room for `n` elements and writes them once, so that its pages
// are resident, then empties it: for buffers the timed region fills, sized
// beforehand (a workload's Prepare) so that neither the time nor the resident
// set of the timed region includes them.
template <class T>
void ReserveResident(std::vector<T>& v, std::size_t n) {
  v.assign(n, T{});
  v.clear();
}

class RunContext {
 public:
  // `threads`: the number of slots; the workload's thread i uses slot i.
  explicit RunContext(int threads);

  int threads() const { return static_cast<int>(slots_.size()); }

  // Live requested bytes of thread `t` change by `delta_bytes`.
  void AddLive(int t, std::int64_t delta_bytes) {
    Slot& s = slots_[static_cast<std::size_t>(t)];
    std::int64_t live = s.live.load(std::memory_order_relaxed) + delta_bytes;
    s.live.store(live, std::memory_order_relaxed);
    if (live > s.peak.load(std::memory_order_relaxed))
      s.peak.store(live, std::memory_order_relaxed);
  }
  // Sum over threads now; called by the sampler from its own thread.
  std::int64_t LiveBytes() const;
  // The largest single-thread peak (exact), a lower bound of the true peak.
  std::int64_t LargestThreadPeakBytes() const;

  // Operations done by thread `t`; the workload's own unit (ops_unit).
  void AddOps(int t, std::int64_t ops) {
    Slot& s = slots_[static_cast<std::size_t>(t)];
    s.ops.store(s.ops.load(std::memory_order_relaxed) + ops,
                std::memory_order_relaxed);
  }
  std::int64_t Ops() const;

  // Latency samples of thread `t` in nanoseconds: every k-th operation, every
  // frame, every message. Reserve before the timed region (ReserveLatencies).
  std::vector<std::int64_t>& Latencies(int t) {
    return slots_[static_cast<std::size_t>(t)].latencies_ns;
  }
  std::vector<std::int64_t> AllLatencies() const;
  // Room for `samples` latencies of thread `t`, written once so that its
  // pages are resident: call from the workload's Prepare (untimed).
  void ReserveLatencies(int t, std::size_t samples) {
    ReserveResident(slots_[static_cast<std::size_t>(t)].latencies_ns, samples);
  }

  // Extra per-run figures a workload reports (bytes parsed, frames, ...).
  // Call outside the timed loop or from one thread at a time.
  void SetCounter(const std::string& name, double value);
  const std::map<std::string, double>& counters() const { return counters_; }

  // The external program a real-program workload is measuring now, or 0.
  // While it is set the sampler reads /proc/PID/statm of that process instead
  // of the child's own; set it once the program runs and clear it before
  // reaping it (workloads/support/external_program.h does both).
  void SetMeasuredPid(int pid) {
    if (pid != 0) measured_program_.store(true, std::memory_order_relaxed);
    measured_pid_.store(pid, std::memory_order_relaxed);
  }
  int measured_pid() const {
    return measured_pid_.load(std::memory_order_relaxed);
  }
  // True once any program was set: the cell is a program's, even one that
  // ended between two of the sampler's readings.
  bool measured_program() const {
    return measured_program_.load(std::memory_order_relaxed);
  }
  // Adds a finished program's figures; when any was added, the cell reports
  // them instead of the child's own CPU time, faults and peak RSS. Call from
  // one thread at a time, outside the sampler.
  void AddProgramUsage(const ProgramUsage& usage);
  const ProgramUsage& program_usage() const { return program_usage_; }

  // Records a failure (a NULL allocation, a corrupted block); thread-safe;
  // the first reason is kept. A failed run reports no figures.
  void Fail(std::string reason);
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  std::string failure() const;

 private:
  struct alignas(64) Slot {
    std::atomic<std::int64_t> live{0};
    std::atomic<std::int64_t> peak{0};
    std::atomic<std::int64_t> ops{0};
    std::vector<std::int64_t> latencies_ns;
  };
  std::vector<Slot> slots_;
  std::map<std::string, double> counters_;
  std::atomic<int> measured_pid_{0};
  std::atomic<bool> measured_program_{false};
  ProgramUsage program_usage_;
  std::atomic<bool> failed_{false};
  mutable std::mutex failure_mutex_;
  std::string failure_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_RUN_CONTEXT_H_
