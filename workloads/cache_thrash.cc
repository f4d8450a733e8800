// cache_thrash: Hoard's active-false-sharing test.
//
// Models: threads that each allocate a small object, write it many times and
// free it, over and over. An allocator that hands objects from one cache line
// to different threads (a single shared heap, or a size-class page shared by
// threads) makes the lines ping-pong between cores, and every write pays for
// it: the allocator itself induces the false sharing ("actively").
// Written from the description of cache-thrash in E. Berger et al., "Hoard:
// A Scalable Memory Allocator for Multithreaded Applications", ASPLOS 2000.
// Each thread does `iterations` times: allocate `object_size_bytes`, read
// and write every byte `writes_per_object` times, free.
// Does not model: true sharing, or objects that live longer. With T = 1
// there is nothing to share: run it with --threads 2 or more (on a 2-core
// machine, 2) to see the effect. Per-thread heaps (slab, pmr-pool) cannot
// share lines between threads by construction and are the control group.
// Parameters: see kParams. ops counts objects (allocate, write, free).
// Checks itself: after the writes each object holds the pattern of its
// request tag, verified before it is freed.
#include <cstdint>
#include <string>

#include "workloads/support/checked_block.h"
#include "workloads/support/false_sharing.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class CacheThrash : public FalseSharingWorkload {
 public:
  using FalseSharingWorkload::FalseSharingWorkload;

  template <Heap H>
  void Run(RunContext& ctx) {
    RunThreads(c_.threads, [&](int t) {
      H heap;
      AllocateWriteFree(heap, ctx, t, c_, static_cast<std::uint64_t>(t) << 48);
    });
  }
};

const bool kRegistered = RegisterWorkload<CacheThrash>({
    .name = "cache_thrash",
    .summary = "Hoard's cache-thrash: threads allocate, write and free small "
               "objects (active false sharing)",
    .params = FalseSharingParams("thread"),
    .heaps = {HeapKind::kMalloc, HeapKind::kSlab, HeapKind::kPmrPool},
    .max_threads = 256,
    .needs_threads = true,
    .ops_unit = "objects",
    .cost_weight = 0.2,
});

}  // namespace
}  // namespace allocmark
