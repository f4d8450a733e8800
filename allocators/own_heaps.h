// allocmark's own allocators as Heaps (heap.h) for the workloads: "arena",
// "slab" and "slab-mt". Each default-constructs over the process allocator
// (std::pmr::new_delete_resource, i.e. operator new -> malloc).
#ifndef ALLOCMARK_ALLOCATORS_OWN_HEAPS_H_
#define ALLOCMARK_ALLOCATORS_OWN_HEAPS_H_

#include <cstddef>

#include "allocators/arena.h"
#include "allocators/heap.h"
#include "allocators/slab.h"
#include "allocators/slab_mt.h"

namespace allocmark {

// Bump allocation; Deallocate is a no-op, Reset() ends every block and keeps
// the chunks for the next phase.
class ArenaHeap {
 public:
  static constexpr const char* kName = "arena";
  static constexpr bool kCrossThreadFree = false;

  ArenaHeap() = default;
  // An arena whose chunks come from `upstream` (see Arena).
  ArenaHeap(std::pmr::memory_resource* upstream,
            std::size_t initial_chunk_bytes, std::size_t max_chunk_bytes)
      : arena_(upstream, initial_chunk_bytes, max_chunk_bytes) {}

  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    return arena_.Allocate(size_bytes, align_bytes);
  }
  void Deallocate(void*, std::size_t, std::size_t) {}
  void Reset() { arena_.Reset(); }
  Arena& arena() { return arena_; }

 private:
  Arena arena_;
};

// Size-class slabs, one thread.
class SlabHeap {
 public:
  static constexpr const char* kName = "slab";
  static constexpr bool kCrossThreadFree = false;

  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    return slab_.Allocate(size_bytes, align_bytes);
  }
  void Deallocate(void* p, std::size_t size_bytes, std::size_t align_bytes) {
    slab_.Deallocate(p, size_bytes, align_bytes);
  }
  void Reset() {}
  SlabAllocator& slab() { return slab_; }

 private:
  SlabAllocator slab_;
};

// Size-class slabs with per-thread caches: a block may be freed through the
// heap of another thread (see slab_mt.h).
class SlabMtHeap {
 public:
  static constexpr const char* kName = "slab-mt";
  static constexpr bool kCrossThreadFree = true;

  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    return slab_.Allocate(size_bytes, align_bytes);
  }
  void Deallocate(void* p, std::size_t size_bytes, std::size_t align_bytes) {
    slab_.Deallocate(p, size_bytes, align_bytes);
  }
  void Reset() {}
  ConcurrentSlabAllocator& slab() { return slab_; }

 private:
  ConcurrentSlabAllocator slab_;
};

static_assert(Heap<ArenaHeap>);
static_assert(Heap<SlabHeap>);
static_assert(Heap<SlabMtHeap>);
static_assert(!AcceptsCrossThreadFree<ArenaHeap>);
static_assert(AcceptsCrossThreadFree<SlabMtHeap>);

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_OWN_HEAPS_H_
