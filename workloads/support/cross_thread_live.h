// Live-byte accounting for blocks that one thread allocates and another frees
// (producer_consumer, xmalloc). RunContext's slots take one writer each, and
// a slot that only allocates would report every byte ever allocated as its
// peak; so each thread adds to its own padded counter here (one writer, a
// relaxed store, no read-modify-write: the same cost under every allocator),
// and one thread per slot, the publisher, folds the sum into the slot now and
// then. The slot then holds the true live bytes as of the last publication.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_CROSS_THREAD_LIVE_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_CROSS_THREAD_LIVE_H_

#include <atomic>
#include <cstdint>
#include <vector>

#include "workloads/support/run_context.h"

namespace allocmark {

class CrossThreadLive {
 public:
  // `counters`: one per thread that allocates or frees.
  explicit CrossThreadLive(int counters)
      : counters_(static_cast<std::size_t>(counters)) {}

  // Counter `i` changes by delta_bytes; only its own thread calls this.
  void Add(int i, std::int64_t delta_bytes) {
    auto& c = counters_[static_cast<std::size_t>(i)].bytes;
    c.store(c.load(std::memory_order_relaxed) + delta_bytes,
            std::memory_order_relaxed);
  }

  // Sets ctx's slot to the sum of the counters. One thread at a time: the
  // publisher while the workload runs, the launching thread after the join.
  void Publish(RunContext& ctx, int slot) {
    std::int64_t total = 0;
    for (const auto& c : counters_)
      total += c.bytes.load(std::memory_order_relaxed);
    ctx.AddLive(slot, total - published_);
    published_ = total;
  }

 private:
  struct alignas(64) Counter {
    std::atomic<std::int64_t> bytes{0};
  };
  std::vector<Counter> counters_;
  std::int64_t published_ = 0;
};

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_CROSS_THREAD_LIVE_H_
