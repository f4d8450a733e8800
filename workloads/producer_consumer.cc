// producer_consumer: messages allocated on one thread and freed on another.
//
// Models: a pipeline stage hand-off (a network thread parsing requests for
// worker threads, a logger's queue): P producers allocate messages of random
// size, write them, and push them through a bounded queue of `queue_depth`
// entries to C consumers, which verify and free them. Every free is a
// cross-thread free, the case that per-thread caches handle worst: the block
// goes back to a heap its thread does not own.
// Threads: the cell's `threads` T is the number of independent pipelines,
// each with its own queue, P producers and C consumers, so a cell runs
// T * (P + C) threads; T = 1 (the default) is one pipeline of P + C.
// Does not model: work done on a message (it is only verified), or replies.
// Heaps: malloc and slab-mt, those that accept cross-thread frees (each
// thread has its own heap; a consumer frees a message into its own).
// Pattern: the producer-consumer benchmarks of the allocator literature
// (Berger et al.'s Hoard paper names producer-consumer as the pattern that
// defeats pure per-thread heaps); written here from that description.
// Parameters: see kParams; sizes are uniform in [min_size_bytes,
// max_size_bytes]. ops counts messages (allocated, sent, verified, freed).
// Latency: for every `latency_every`-th message of a producer, the time from
// just before its allocation to just after its free, on the steady clock
// (allocation, fill, queueing, verification, free: what a message costs end
// to end, including the time it waits in the queue).
// Writes: the first `write_bytes` of each message (default 64: a message's
// header, its type, length and routing fields, and the start of its body;
// the body's remaining bytes arrive from the network or a file in a real
// pipeline and are no cost of allocation).
// Checks itself: a canary per message (block_check.h), checked by the
// consumer before the free (every byte with --verify full); a NULL or a
// changed byte fails the cell. Live bytes: cross_thread_live.h, published by
// consumer 0 of each pipeline at its first message and every 64th, before it
// frees it.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "workloads/support/bounded_queue.h"
#include "workloads/support/checked_block.h"
#include "workloads/support/clock.h"
#include "workloads/support/cross_thread_live.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class ProducerConsumer {
 public:
  explicit ProducerConsumer(const WorkloadConfig& config)
      : pipelines_(config.threads),
        producers_(static_cast<int>(config.Get("producers"))),
        consumers_(static_cast<int>(config.Get("consumers"))),
        queue_depth_(config.GetSize("queue_depth")),
        latency_every_(config.GetSize("latency_every")),
        sizes_(static_cast<std::size_t>(pipelines_ * producers_)),
        writer_(config.verify, config.GetSize("write_bytes")) {
    const std::size_t messages = config.GetSize("messages");
    const std::uint64_t min_size = config.GetSize("min_size_bytes");
    const std::uint64_t max_size = config.GetSize("max_size_bytes");
    for (std::size_t i = 0; i < sizes_.size(); ++i) {
      Rng rng = StreamRng(config.seed, i);
      sizes_[i].resize(messages);
      for (auto& size : sizes_[i]) {
        size = static_cast<std::uint32_t>(rng.Uniform(min_size, max_size));
        hash_.Add(size);
      }
    }
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  void Prepare(RunContext&) {
    // Each consumer's latency samples, written once so they are resident.
    const std::size_t samples = sizes_[0].size() *
                                    static_cast<std::size_t>(producers_) /
                                    latency_every_ +
                                1;
    latencies_.assign(static_cast<std::size_t>(pipelines_),
                      std::vector<std::vector<std::int64_t>>(
                          static_cast<std::size_t>(consumers_)));
    for (auto& pipeline : latencies_)
      for (auto& l : pipeline) ReserveResident(l, samples);
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    if constexpr (!AcceptsCrossThreadFree<H>) {
      ctx.Fail(std::string(
                   "producer_consumer frees blocks on other threads; heap '") +
               H::kName + "' does not accept that");
    } else {
      RunThreads(pipelines_, [&](int t) { RunPipeline<H>(ctx, t); });
    }
  }

 private:
  struct Message {
    void* p;
    std::uint32_t size;
    std::uint32_t producer;  // within the pipeline; kEnd marks the end
    std::uint64_t tag;
    std::int64_t start_ns;  // 0 when this message is not timed
  };
  static constexpr std::uint32_t kEnd = UINT32_MAX;

  template <Heap H>
  void RunPipeline(RunContext& ctx, int t) {
    BoundedQueue<Message> queue(queue_depth_);
    // One heap per thread; a consumer frees each message into its own heap
    // (a heap that accepts cross-thread frees sends it home).
    std::vector<H> heaps(static_cast<std::size_t>(producers_ + consumers_));
    CrossThreadLive live(producers_ + consumers_);
    auto& latencies = latencies_[static_cast<std::size_t>(t)];
    std::atomic<int> producers_left{producers_};
    auto stop = [&ctx] { return ctx.failed(); };

    auto produce = [&](int p) {
      const auto& sizes = sizes_[static_cast<std::size_t>(t * producers_ + p)];
      H& heap = heaps[static_cast<std::size_t>(p)];
      const std::uint64_t tag_base =
          static_cast<std::uint64_t>(t * producers_ + p) << 32;
      std::size_t until_timed = 0;  // a countdown, not a division per message
      for (std::size_t i = 0; i < sizes.size(); ++i) {
        const bool timed = until_timed == 0;
        until_timed = timed ? latency_every_ - 1 : until_timed - 1;
        const std::int64_t start = timed ? NowNs() : 0;
        Message m{heap.Allocate(sizes[i], alignof(std::max_align_t)), sizes[i],
                  static_cast<std::uint32_t>(p), tag_base | i, start};
        if (m.p == nullptr) [[unlikely]] {
          FailNull(ctx, m.size);
          return;
        }
        writer_.Write(m.p, m.size, m.tag);
        live.Add(p, m.size);
        if (!queue.Push(m, stop)) return;
      }
      // The last producer to finish tells every consumer to stop.
      if (producers_left.fetch_sub(1, std::memory_order_acq_rel) == 1)
        for (int c = 0; c < consumers_; ++c)
          if (!queue.Push(Message{nullptr, 0, kEnd, 0, 0}, stop)) return;
    };

    auto consume = [&](int c) {
      auto& samples = latencies[static_cast<std::size_t>(c)];
      const int counter = producers_ + c;
      std::size_t received = 0;
      for (Message m; queue.Pop(m, stop) && m.producer != kEnd;) {
        if (!writer_.Check(m.p, m.size, m.tag)) [[unlikely]] {
          FailChanged(ctx, m.size, m.tag, "between producer and consumer");
          return;
        }
        // Published while this message is still live (the first and every
        // 64th), so even a run that never queues more than one has a peak.
        if (c == 0 && received++ % 64 == 0) live.Publish(ctx, t);
        heaps[static_cast<std::size_t>(counter)].Deallocate(
            m.p, m.size, alignof(std::max_align_t));
        if (m.start_ns != 0) samples.push_back(NowNs() - m.start_ns);
        live.Add(counter, -static_cast<std::int64_t>(m.size));
      }
    };

    std::vector<std::thread> threads;
    for (int p = 0; p < producers_; ++p) threads.emplace_back(produce, p);
    for (int c = 0; c < consumers_; ++c) threads.emplace_back(consume, c);
    for (auto& th : threads) th.join();
    live.Publish(ctx, t);
    auto& out = ctx.Latencies(t);
    for (const auto& l : latencies) out.insert(out.end(), l.begin(), l.end());
    ctx.AddOps(t, static_cast<std::int64_t>(sizes_[0].size()) * producers_);
  }

  int pipelines_;
  int producers_;
  int consumers_;
  std::size_t queue_depth_;
  std::size_t latency_every_;
  std::vector<std::vector<std::uint32_t>> sizes_;  // per pipeline and producer
  BlockWriter writer_;
  // Per pipeline and consumer, from Prepare.
  std::vector<std::vector<std::vector<std::int64_t>>> latencies_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProducerConsumer>({
    .name = "producer_consumer",
    .summary = "P producers allocate messages, C consumers verify and free "
               "them (cross-thread)",
    .params =
        {
            {"producers", "producer threads per pipeline", 1, 1, 1, 1},
            {"consumers", "consumer threads per pipeline", 1, 1, 1, 1},
            {"messages", "messages per producer", 20000, 3000000, 10000000, 1},
            {"min_size_bytes", "smallest message", 16, 16, 16, 1},
            {"max_size_bytes", "largest message", 1024, 1024, 1024, 1},
            {"queue_depth",
             "queue capacity in messages (rounded up to a power of two)", 256,
             256, 256, 2},
            {"latency_every", "time every k-th message of a producer", 64, 64,
             64, 1},
            {"write_bytes", "bytes written from each message's start", 64, 64,
             64, 0},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kSlabMt},
    .max_threads = 64,
    .ops_unit = "messages",
    .cost_weight = 0.4,
    .check = [](const Params& p) -> std::string {
      if (p.at("min_size_bytes") > p.at("max_size_bytes"))
        return "min_size_bytes is above max_size_bytes";
      if (p.at("max_size_bytes") > UINT32_MAX)
        return "max_size_bytes is above 4 GiB";
      if (p.at("messages") > UINT32_MAX) return "messages is above 2^32";
      if (p.at("producers") + p.at("consumers") > 256)
        return "producers + consumers is above 256 threads per pipeline";
      if (p.at("queue_depth") > (1u << 20)) return "queue_depth is above 2^20";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
