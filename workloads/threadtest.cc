// threadtest: Hoard's threadtest, batches allocated and freed per thread.
//
// Models: threads that each allocate a batch of same-size objects and then
// free the whole batch, over and over, with no sharing between threads: the
// scalability test of per-thread allocation. Written from the description of
// threadtest in E. Berger et al., "Hoard: A Scalable Memory Allocator for
// Multithreaded Applications", ASPLOS 2000: each of T threads repeatedly
// allocates `objects_per_batch` objects of `object_size_bytes` and frees
// them, `batches` times. (The original divides a fixed total among the
// threads; here each thread does the same amount, so T threads do T times
// the work and ops_per_s shows scaling directly.)
// Does not model: object lifetimes that cross batches, or mixed sizes (churn).
// On arena and pmr-monotonic a batch is dropped by resetting the heap; slab
// and pmr-pool get each object back.
// Parameters: see kParams. ops counts objects allocated (and freed).
// Writes: what the original's constructors write, every object in full
// (threadtest allocates arrays of a two-int class whose constructor sets both
// fields; at the default 8 bytes that is one object, all of it): the first
// `object_size_bytes` bytes, with the canary (block_check.h).
// Checks itself: the canary, before the free or the batch's reset (every byte
// with --verify full).
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/support/checked_block.h"
#include "workloads/support/heap_traits.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class Threadtest {
 public:
  explicit Threadtest(const WorkloadConfig& config)
      : threads_(config.threads),
        batches_(config.GetSize("batches")),
        objects_(config.GetSize("objects_per_batch")),
        size_(config.GetSize("object_size_bytes")),
        writer_(config.verify, size_) {
    // Every request is the same: the trace is its shape.
    for (std::uint64_t word :
         {static_cast<std::uint64_t>(threads_), std::uint64_t{batches_},
          std::uint64_t{objects_}, std::uint64_t{size_}})
      hash_.Add(word);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  void Prepare(RunContext&) {
    batches_of_.assign(static_cast<std::size_t>(threads_),
                       std::vector<CheckedBlock>(objects_));
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    RunThreads(threads_, [&](int t) { RunThread<H>(ctx, t); });
  }

 private:
  template <Heap H>
  void RunThread(RunContext& ctx, int t) {
    H heap;
    std::vector<CheckedBlock>& batch = batches_of_[static_cast<std::size_t>(t)];
    std::uint64_t tag = static_cast<std::uint64_t>(t) << 48;
    // Live bytes change once per batch, the same for every heap (per-object
    // accounting would be paid only by the heaps that free one by one).
    const auto batch_bytes = static_cast<std::int64_t>(objects_ * size_);
    for (std::size_t round = 0; round < batches_; ++round) {
      if (ctx.failed()) return;
      for (auto& b : batch)
        if (!AllocateChecked(heap, ctx, writer_, kNoLiveAccounting, b, size_,
                             tag++))
          return;
      ctx.AddLive(t, batch_bytes);
      for (auto& b : batch) {
        if constexpr (kReleasesInBulk<H>) {
          if (!VerifyChecked(ctx, writer_, b)) return;
        } else if (!FreeChecked(heap, ctx, writer_, kNoLiveAccounting, b)) {
          return;
        }
      }
      ctx.AddLive(t, -batch_bytes);
      heap.Reset();
    }
    ctx.AddOps(t, static_cast<std::int64_t>(batches_ * objects_));
  }

  int threads_;
  std::size_t batches_;
  std::size_t objects_;
  std::size_t size_;
  BlockWriter writer_;
  std::vector<std::vector<CheckedBlock>> batches_of_;  // per thread
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Threadtest>({
    .name = "threadtest",
    .summary = "Hoard's threadtest: each thread allocates a batch of objects, "
               "then frees it",
    .params =
        {
            {"batches", "batches per thread", 50, 5000, 20000, 1},
            {"objects_per_batch", "objects allocated, then freed, per batch",
             10000, 10000, 10000, 1},
            {"object_size_bytes", "size of every object", 8, 8, 8, 1},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kArena, HeapKind::kSlab,
              HeapKind::kPmrPool},
    .max_threads = 256,
    .ops_unit = "objects",
    .cost_weight = 0.45,
});

}  // namespace
}  // namespace allocmark
