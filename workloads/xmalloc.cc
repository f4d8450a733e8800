// xmalloc: cross-thread free at a high rate, one side allocates, the other
// frees.
//
// Models: the asymmetric hand-off at full speed: T allocating threads that
// do nothing but allocate blocks of mixed sizes and pass them on in batches,
// and T freeing threads that do nothing but free them. Every block dies on a
// thread that never allocates, so an allocator with per-thread caches must
// send it home (or leak it into the freeing thread's cache). Written from
// the description of xmalloc-test (C. Lever and D. Boreham, "malloc()
// Performance in a Multithreaded Linux Environment", USENIX 2000; later
// versions as used by allocator benchmark suites: purely allocating and
// purely freeing threads with objects migrating between them).
// Threads: the cell's `threads` T is the number of allocator/freer pairs, so
// a cell runs 2T threads; each pair passes batches of `batch_blocks` blocks
// through a ring of `ring_batches` batches.
// Differs from producer_consumer: no per-message latency or queue contention
// between many threads, batches instead of single messages, and sizes mostly
// small (log-uniform in [min_size_bytes, max_size_bytes]).
// Heaps: malloc and slab-mt (heaps that accept cross-thread frees).
// Parameters: see kParams. ops counts blocks (allocated on one thread, freed
// on the other).
// Writes: what xmalloc-test writes into each new block, its first
// min(size, 128) bytes (a memset), with the canary (block_check.h).
// Checks itself: the canary, checked by the freeing thread (every byte with
// --verify full). Live bytes: cross_thread_live.h, published by the
// freeing thread before and after it frees each batch.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "workloads/bounded_queue.h"
#include "workloads/checked_block.h"
#include "workloads/cross_thread_live.h"
#include "workloads/rng.h"
#include "workloads/thread_group.h"
#include "workloads/workload.h"

namespace allocmark {
namespace {

class Xmalloc {
 public:
  explicit Xmalloc(const WorkloadConfig& config)
      : pairs_(config.threads),
        batch_blocks_(config.GetSize("batch_blocks")),
        ring_batches_(config.GetSize("ring_batches")),
        writer_(config.verify, 128),
        sizes_(static_cast<std::size_t>(pairs_)) {
    const std::size_t blocks = config.GetSize("batches") * batch_blocks_;
    const std::uint64_t min_size = config.GetSize("min_size_bytes");
    const std::uint64_t max_size = config.GetSize("max_size_bytes");
    for (std::size_t t = 0; t < sizes_.size(); ++t) {
      Rng rng(config.seed * 1000003 + t);
      sizes_[t].resize(blocks);
      for (auto& size : sizes_[t]) {
        size = static_cast<std::uint32_t>(rng.LogUniform(min_size, max_size));
        hash_.Add(size);
      }
    }
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    if constexpr (!AcceptsCrossThreadFree<H>) {
      ctx.Fail(std::string("xmalloc frees blocks on other threads; heap '") +
               H::kName + "' does not accept that");
    } else {
      RunThreads(pairs_, [&](int t) { RunPair<H>(ctx, t); });
    }
  }

 private:
  struct Block {
    void* p;
    std::uint32_t size;
  };

  template <Heap H>
  void RunPair(RunContext& ctx, int t) {
    const auto& sizes = sizes_[static_cast<std::size_t>(t)];
    const std::size_t batches = sizes.size() / batch_blocks_;
    // Batch buffers cycle between the two threads: full ones to the freer,
    // empty ones back; both queues carry buffer indices and never allocate.
    std::vector<Block> buffers(ring_batches_ * batch_blocks_);
    BoundedQueue<std::uint32_t> full(ring_batches_), empty(ring_batches_);
    for (std::uint32_t i = 0; i < ring_batches_; ++i) empty.TryPush(i);
    CrossThreadLive live(2);
    H alloc_heap;
    auto stop = [&ctx] { return ctx.failed(); };
    const std::uint64_t tag_base = static_cast<std::uint64_t>(t) << 40;

    std::thread freer([&] {
      H heap;
      for (std::size_t n = 0; n < batches; ++n) {
        std::uint32_t buffer;
        if (!full.Pop(buffer, stop)) return;
        // Published while this batch is still live, and again once it is
        // freed: the slot sees the peak even when the two threads alternate
        // and no second batch is ever in flight.
        live.Publish(ctx, t);
        Block* batch = &buffers[buffer * batch_blocks_];
        std::int64_t freed = 0;
        for (std::size_t i = 0; i < batch_blocks_; ++i) {
          const std::uint64_t tag = tag_base | (n * batch_blocks_ + i);
          if (!writer_.Check(batch[i].p, batch[i].size, tag)) [[unlikely]] {
            FailChanged(ctx, batch[i].size, tag, "between the threads");
            return;
          }
          heap.Deallocate(batch[i].p, batch[i].size, alignof(std::max_align_t));
          freed += batch[i].size;
        }
        live.Add(1, -freed);
        live.Publish(ctx, t);
        if (!empty.Push(buffer, stop)) return;
      }
    });
    for (std::size_t n = 0; n < batches; ++n) {
      std::uint32_t buffer;
      if (!empty.Pop(buffer, stop)) break;
      Block* batch = &buffers[buffer * batch_blocks_];
      std::int64_t allocated = 0;
      bool ok = true;
      for (std::size_t i = 0; i < batch_blocks_ && ok; ++i) {
        const std::size_t k = n * batch_blocks_ + i;
        batch[i] = {alloc_heap.Allocate(sizes[k], alignof(std::max_align_t)),
                    sizes[k]};
        if (batch[i].p == nullptr) [[unlikely]] {
          FailNull(ctx, sizes[k]);
          ok = false;
          break;
        }
        writer_.Write(batch[i].p, sizes[k], tag_base | k);
        allocated += sizes[k];
      }
      if (!ok) break;
      live.Add(0, allocated);
      if (!full.Push(buffer, stop)) break;
    }
    freer.join();
    live.Publish(ctx, t);
    ctx.AddOps(t, static_cast<std::int64_t>(sizes.size()));
  }

  int pairs_;
  std::size_t batch_blocks_;
  std::size_t ring_batches_;
  BlockWriter writer_;
  std::vector<std::vector<std::uint32_t>> sizes_;  // per pair
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Xmalloc>({
    .name = "xmalloc",
    .summary = "xmalloc-test: allocating threads hand batches to purely "
               "freeing threads",
    .params =
        {
            {"batches", "batches per allocator thread", 200, 10000, 100000, 1},
            {"batch_blocks", "blocks per batch", 100, 100, 100, 1},
            {"ring_batches", "batches in flight between a pair", 16, 16, 16, 2},
            {"min_size_bytes", "smallest block", 8, 8, 8, 1},
            {"max_size_bytes", "largest block", 2048, 2048, 2048, 1},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kSlabMt},
    .max_threads = 128,
    .ops_unit = "blocks",
    .cost_weight = 0.6,
    .check = [](const Params& p) -> std::string {
      if (p.at("min_size_bytes") > p.at("max_size_bytes"))
        return "min_size_bytes is above max_size_bytes";
      if (p.at("max_size_bytes") > UINT32_MAX)
        return "max_size_bytes is above 4 GiB";
      if (p.at("ring_batches") > 1 << 20) return "ring_batches is above 2^20";
      // A request's tag is its pair's index << 40 | its index in the pair.
      if (p.at("batches") >
          ((std::int64_t{1} << 40) - 1) / p.at("batch_blocks"))
        return "batches * batch_blocks is not below 2^40";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
