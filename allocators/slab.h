// SlabAllocator: size-class slabs for requests of 0 to 4096 bytes, the
// upstream for larger ones. Single-threaded (see slab_mt.h for the variant
// that accepts frees from other threads).
//
// Allocate: one table lookup (size -> class), then pop the class's free
// list; an empty list calls SlabClass::Refill. Deallocate: the block's slab
// header (found by masking the address) names the free list to push onto,
// so a free needs neither the class lookup nor a search. Both are O(1) in
// any order and whatever the number of slabs; neither counts anything, so
// Stats() walks the free lists (O(free blocks)). Trim() returns fully free
// slabs to the upstream.
//
// Alignment: requests aligned to at most 16 use the fast path; larger
// power-of-two alignments (up to 4096) use a class whose size is a multiple
// of the alignment, or the upstream. Requests over 4096 bytes go to the
// upstream as they are. Errors: Allocate returns nullptr when the upstream
// throws std::bad_alloc; it never returns a block smaller than asked.
#ifndef ALLOCMARK_ALLOCATORS_SLAB_H_
#define ALLOCMARK_ALLOCATORS_SLAB_H_

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>

#include "allocators/size_classes.h"
#include "allocators/slab_class.h"

namespace allocmark {

struct SlabStats {
  std::size_t live_bytes = 0;      // live blocks times their class size
  std::size_t live_blocks = 0;     // small and large
  std::size_t reserved_bytes = 0;  // slabs plus large blocks
  std::size_t slabs = 0;
  std::size_t large_blocks = 0;
};

class SlabAllocator {
 public:
  // upstream outlives the allocator. owner_tag is stored in every slab
  // header (nullptr: this allocator); ConcurrentSlabAllocator routes
  // cross-thread frees by it.
  explicit SlabAllocator(
      std::pmr::memory_resource* upstream = std::pmr::new_delete_resource(),
      void* owner_tag = nullptr)
      : upstream_(upstream) {
    for (std::size_t c = 0; c < kNumClasses; ++c)
      classes_[c].Init(kClassBytes[c], &free_[c],
                       owner_tag != nullptr ? owner_tag : this, upstream);
  }
  // Slab headers point into this object: it cannot move.
  SlabAllocator(const SlabAllocator&) = delete;
  SlabAllocator& operator=(const SlabAllocator&) = delete;

  // A block of at least size_bytes aligned to align_bytes (a power of two),
  // or nullptr when the upstream cannot serve it.
  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    if (size_bytes <= kMaxSmallBytes && align_bytes <= 16) [[likely]] {
      const unsigned c = align_bytes <= 8 ? kClassOfSize8[size_bytes]
                                          : kClassOfSize16[size_bytes];
      if (void* p = TryPop(c)) [[likely]]
        return p;
      return classes_[c].Refill();
    }
    return AllocateSlow(size_bytes, align_bytes);
  }

  // Gives back a block from Allocate of this allocator (or of another
  // SlabAllocator on the same thread), with the same size and alignment.
  void Deallocate(void* p, std::size_t size_bytes, std::size_t align_bytes) {
    if (size_bytes <= kMaxSmallBytes && align_bytes <= 16) [[likely]] {
      PushFree(p);
      return;
    }
    DeallocateSlow(p, size_bytes, align_bytes);
  }

  // Returns fully free slabs to the upstream; returns the bytes given back.
  std::size_t Trim() {
    std::size_t released = 0;
    for (auto& c : classes_) released += c.Trim();
    return released;
  }

  SlabStats Stats() const;

  // The pieces of the fast paths, for ConcurrentSlabAllocator.
  void* TryPop(unsigned c) {
    void* p = free_[c];
    if (p != nullptr) free_[c] = NextFree(p);
    return p;
  }
  void* Refill(unsigned c) { return classes_[c].Refill(); }
  static void PushFree(void* p) {
    void** head = HeaderOf(p)->free_head;
    SetNextFree(p, *head);
    *head = p;
  }
  [[gnu::noinline]] inline void* AllocateSlow(std::size_t size_bytes,
                                              std::size_t align_bytes);
  [[gnu::noinline]] inline void DeallocateSlow(void* p, std::size_t size_bytes,
                                               std::size_t align_bytes);

 private:
  void* free_[kNumClasses] = {};  // free-list heads, first for the fast path
  SlabClass classes_[kNumClasses];
  std::pmr::memory_resource* upstream_;
  std::size_t large_blocks_ = 0;
  std::size_t large_bytes_ = 0;
};

void* SlabAllocator::AllocateSlow(std::size_t size_bytes,
                                  std::size_t align_bytes) {
  if (align_bytes == 0 || (align_bytes & (align_bytes - 1)) != 0)
    return nullptr;
  const int c = ClassFor(size_bytes, align_bytes);
  if (c >= 0) {
    if (void* p = TryPop(static_cast<unsigned>(c))) return p;
    return classes_[c].Refill();
  }
  // No object may exceed PTRDIFF_MAX bytes; upstreams that round the size
  // up to the alignment would wrap around near SIZE_MAX.
  if (size_bytes > static_cast<std::size_t>(PTRDIFF_MAX)) return nullptr;
  void* p;
  try {
    p = upstream_->allocate(size_bytes, align_bytes);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  ++large_blocks_;
  large_bytes_ += size_bytes;
  return p;
}

void SlabAllocator::DeallocateSlow(void* p, std::size_t size_bytes,
                                   std::size_t align_bytes) {
  if (ClassFor(size_bytes, align_bytes) >= 0) {
    PushFree(p);
    return;
  }
  --large_blocks_;
  large_bytes_ -= size_bytes;
  upstream_->deallocate(p, size_bytes, align_bytes);
}

inline SlabStats SlabAllocator::Stats() const {
  SlabStats stats;
  for (const auto& c : classes_) {
    const SlabClassStats s = c.Stats();
    stats.live_blocks += s.live_blocks;
    stats.live_bytes += s.live_blocks * s.block_bytes;
    stats.slabs += s.slabs;
  }
  stats.reserved_bytes = stats.slabs * kSlabBytes + large_bytes_;
  stats.live_blocks += large_blocks_;
  stats.live_bytes += large_bytes_;
  stats.large_blocks = large_blocks_;
  return stats;
}

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_SLAB_H_
