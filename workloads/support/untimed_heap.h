// Memory for a workload's untimed reference work (a reference parse before
// the timed region, say), straight from mmap and given back with munmap, so
// that the process allocator neither serves it nor keeps it afterwards: the
// baseline RSS read after it holds none of it, and the timed region meets an
// allocator that has not already been warmed by the same requests.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_UNTIMED_HEAP_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_UNTIMED_HEAP_H_

#include <sys/mman.h>

#include <cstddef>
#include <memory_resource>
#include <new>

#include "allocators/own_heaps.h"

namespace allocmark {

// Pages from mmap; each block is its own mapping (use it as an arena's
// upstream, whose chunks are large).
class MmapResource final : public std::pmr::memory_resource {
 private:
  static std::size_t Pages(std::size_t bytes) {
    return (bytes + 4095) & ~static_cast<std::size_t>(4095);
  }
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    if (align > 4096) throw std::bad_alloc();
    void* p = mmap(nullptr, Pages(bytes), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t) override {
    munmap(p, Pages(bytes));
  }
  bool do_is_equal(const memory_resource& other) const noexcept override {
    return this == &other;
  }
};

// The resource comes first among UntimedHeap's bases: the arena returns its
// chunks to it when destroyed.
struct MmapResourceHolder {
  MmapResource mmap_resource;
};

// An arena on MmapResource, as a Heap (allocators/heap.h): every chunk is
// unmapped when the heap is destroyed.
class UntimedHeap : private MmapResourceHolder, public ArenaHeap {
 public:
  static constexpr const char* kName = "untimed";
  UntimedHeap() : ArenaHeap(&mmap_resource, 1 << 20, 64 << 20) {}
  UntimedHeap(const UntimedHeap&) = delete;
  UntimedHeap& operator=(const UntimedHeap&) = delete;
};

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_UNTIMED_HEAP_H_
