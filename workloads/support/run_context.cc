#include "workloads/support/run_context.h"

#include <algorithm>

namespace allocmark {

RunContext::RunContext(int threads)
    : slots_(static_cast<std::size_t>(std::max(threads, 1))) {}

std::int64_t RunContext::LiveBytes() const {
  std::int64_t sum = 0;
  for (const Slot& s : slots_) sum += s.live.load(std::memory_order_relaxed);
  return sum;
}

std::int64_t RunContext::LargestThreadPeakBytes() const {
  std::int64_t peak = 0;
  for (const Slot& s : slots_)
    peak = std::max(peak, s.peak.load(std::memory_order_relaxed));
  return peak;
}

std::int64_t RunContext::Ops() const {
  std::int64_t sum = 0;
  for (const Slot& s : slots_) sum += s.ops.load(std::memory_order_relaxed);
  return sum;
}

std::vector<std::int64_t> RunContext::AllLatencies() const {
  std::vector<std::int64_t> all;
  for (const Slot& s : slots_)
    all.insert(all.end(), s.latencies_ns.begin(), s.latencies_ns.end());
  return all;
}

void RunContext::SetCounter(const std::string& name, double value) {
  counters_[name] = value;
}

void RunContext::AddProgramUsage(const ProgramUsage& usage) {
  ProgramUsage& p = program_usage_;
  p.programs += std::max(usage.programs, 1);
  p.user_s += usage.user_s;
  p.sys_s += usage.sys_s;
  p.peak_rss_bytes = std::max(p.peak_rss_bytes, usage.peak_rss_bytes);
  p.page_faults += usage.page_faults;
  p.major_page_faults += usage.major_page_faults;
  for (const auto& [name, value] : usage.allocator_stats)
    p.allocator_stats[name] += value;
}

void RunContext::Fail(std::string reason) {
  std::lock_guard<std::mutex> lock(failure_mutex_);
  if (failed_.load(std::memory_order_relaxed)) return;
  failure_ = std::move(reason);
  failed_.store(true, std::memory_order_relaxed);
}

std::string RunContext::failure() const {
  std::lock_guard<std::mutex> lock(failure_mutex_);
  return failure_;
}

}  // namespace allocmark
