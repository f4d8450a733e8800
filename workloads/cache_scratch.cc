// cache_scratch: Hoard's passive-false-sharing test.
//
// Models: a main thread allocates one small object per worker, consecutively
// (so several share a cache line), and hands one to each worker; each worker
// frees it, then repeatedly allocates an object of the same size, writes it
// many times and frees it. An allocator that gives a freed block back to the
// thread that freed it lets the workers reuse the main thread's shared line,
// and their writes then falsely share it: the program caused the sharing
// once, the allocator keeps it going ("passively").
// Written from the description of cache-scratch in E. Berger et al., "Hoard:
// A Scalable Memory Allocator for Multithreaded Applications", ASPLOS 2000.
// Each worker does `iterations` times: allocate `object_size_bytes`, read
// and write every byte `writes_per_object` times, free.
// Does not model: true sharing. With T = 1 there is nothing to share: run it
// with --threads 2 or more. heap = malloc (and heaps that accept cross-thread
// frees): the first free of each worker is of the main thread's object.
// Parameters: see kParams. ops counts the workers' objects.
// Checks itself: every object holds the pattern of its request tag, verified
// before it is freed; the passes only add to its bytes and take the sum off
// again (false_sharing.h), so damage done during them is still seen.
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "workloads/support/checked_block.h"
#include "workloads/support/false_sharing.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class CacheScratch : public FalseSharingWorkload {
 public:
  using FalseSharingWorkload::FalseSharingWorkload;

  template <Heap H>
  void Run(RunContext& ctx) {
    if constexpr (!AcceptsCrossThreadFree<H>) {
      ctx.Fail(
          std::string("cache_scratch frees blocks on other threads; heap '") +
          H::kName + "' does not accept that");
    } else {
      // The main thread's objects, one per worker, allocated back to back.
      // Each is accounted to its worker's slot; the worker is the only writer
      // of that slot once it starts.
      H main_heap;
      std::vector<CheckedBlock> handed(static_cast<std::size_t>(c_.threads));
      for (int t = 0; t < c_.threads; ++t)
        if (!AllocateChecked(main_heap, ctx, c_.writer, t,
                             handed[static_cast<std::size_t>(t)], c_.size,
                             static_cast<std::uint64_t>(t)))
          return;
      std::vector<std::thread> workers;
      for (int t = 0; t < c_.threads; ++t)
        workers.emplace_back([&, t] {
          H heap;
          CheckedBlock& first = handed[static_cast<std::size_t>(t)];
          WriteRepeatedly(first.p, c_.size, c_.writes);
          if (!FreeChecked(heap, ctx, c_.writer, t, first)) return;
          AllocateWriteFree(heap, ctx, t, c_,
                            (static_cast<std::uint64_t>(t) + 1) << 48);
        });
      for (auto& w : workers) w.join();
    }
  }
};

const bool kRegistered = RegisterWorkload<CacheScratch>({
    .name = "cache_scratch",
    .summary = "Hoard's cache-scratch: workers reuse objects the main thread "
               "handed them (passive false sharing)",
    .params = FalseSharingParams("worker"),
    .heaps = {HeapKind::kMalloc, HeapKind::kSlabMt},
    .max_threads = 256,
    .needs_threads = true,
    .ops_unit = "objects",
    .cost_weight = 0.2,
});

}  // namespace
}  // namespace allocmark
