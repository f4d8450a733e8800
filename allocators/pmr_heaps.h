// The standard library's peers of allocmark's own heaps, as Heaps:
// std::pmr::monotonic_buffer_resource (bulk release, like the arena) and
// std::pmr::unsynchronized_pool_resource (size-class pools, like the slab),
// both over new_delete_resource, i.e. over the process allocator.
#ifndef ALLOCMARK_ALLOCATORS_PMR_HEAPS_H_
#define ALLOCMARK_ALLOCATORS_PMR_HEAPS_H_

#include <cstddef>
#include <memory_resource>
#include <new>

#include "allocators/heap.h"

namespace allocmark {

class PmrMonotonicHeap {
 public:
  static constexpr const char* kName = "pmr-monotonic";

  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    try {
      return resource_.allocate(size_bytes, align_bytes);
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
  }
  void Deallocate(void*, std::size_t, std::size_t) {}
  // release() returns every chunk to the upstream: that is the standard
  // resource's behaviour, and what the arena's chunk reuse is compared with.
  void Reset() { resource_.release(); }

 private:
  std::pmr::monotonic_buffer_resource resource_{
      std::pmr::new_delete_resource()};
};

class PmrPoolHeap {
 public:
  static constexpr const char* kName = "pmr-pool";

  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    try {
      return resource_.allocate(size_bytes, align_bytes);
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
  }
  void Deallocate(void* p, std::size_t size_bytes, std::size_t align_bytes) {
    resource_.deallocate(p, size_bytes, align_bytes);
  }
  void Reset() {}

 private:
  std::pmr::unsynchronized_pool_resource resource_{
      std::pmr::new_delete_resource()};
};

static_assert(Heap<PmrMonotonicHeap>);
static_assert(Heap<PmrPoolHeap>);

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_PMR_HEAPS_H_
