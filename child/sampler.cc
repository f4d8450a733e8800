#include "child/sampler.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/cgroup.h"

namespace allocmark {

Sampler::Sampler(const RunContext& ctx, std::chrono::microseconds interval,
                 std::size_t max_samples)
    : ctx_(ctx),
      interval_(interval),
      max_samples_(std::max<std::size_t>(max_samples, 4)),
      self_rss_(0) {
  samples_.reserve(max_samples_ + 1);
}

Sampler::~Sampler() {
  Stop();
  if (external_cgroup_fd_ >= 0) close(external_cgroup_fd_);
}

void Sampler::Start() {
  start_ = std::chrono::steady_clock::now();
  TakeSample();
  thread_ = std::thread([this] { Loop(); });
}

void Sampler::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  TakeSample();
}

void Sampler::TakeSample() {
  if (samples_.size() >= max_samples_) {
    // Keep every other sample and sample half as often: bounded memory for
    // runs of any length, evenly spaced samples all the same.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < samples_.size(); i += 2)
      samples_[kept++] = samples_[i];
    samples_.resize(kept);
    interval_ *= 2;
  }
  double t_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  if (int pid = ctx_.measured_pid();
      pid != 0 || external_ || ctx_.measured_program()) {
    if (!external_) samples_.clear();  // the child's own, before the program
    external_ = true;
    if (pid != external_pid_) {
      if (external_cgroup_fd_ >= 0) close(external_cgroup_fd_);
      external_cgroup_fd_ = pid != 0 ? OpenCgroupMemoryCurrent(pid) : -1;
      external_tree_ = pid != 0 && external_cgroup_fd_ < 0
                           ? ProcessTreeReader(pid)
                           : ProcessTreeReader();
      external_pid_ = pid;
    }
    // A tree whose processes have all exited (zombies) reads as 0 bytes.
    std::int64_t rss = external_cgroup_fd_ >= 0
                           ? ReadOpenBytes(external_cgroup_fd_)
                           : external_tree_.ReadBytes();
    if (rss > 0) samples_.push_back({t_s, rss, 0});
    return;
  }
  samples_.push_back({t_s, self_rss_.ReadBytes(), ctx_.LiveBytes()});
}

void Sampler::Loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (wake_.wait_for(lock, interval_, [this] { return stop_; })) break;
    TakeSample();
  }
}

std::int64_t Sampler::PeakRssBytes() const {
  std::int64_t peak = -1;
  for (const auto& s : samples_) peak = std::max(peak, s.rss_bytes);
  return peak;
}

std::int64_t Sampler::PeakLiveBytes() const {
  std::int64_t peak = 0;
  for (const auto& s : samples_) peak = std::max(peak, s.live_bytes);
  return peak;
}

bool Sampler::WriteCsv(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  std::fprintf(f, "t_s,rss_bytes,live_bytes\n");
  for (const auto& s : samples_)
    std::fprintf(f, "%.6f,%lld,%lld\n", s.t_s,
                 static_cast<long long>(s.rss_bytes),
                 static_cast<long long>(s.live_bytes));
  return std::fclose(f) == 0;
}

}  // namespace allocmark
