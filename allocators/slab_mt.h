// ConcurrentSlabAllocator: the slab allocator for programs whose blocks are
// freed by other threads than the one that allocated them.
//
// Each ConcurrentSlabAllocator is one thread's cache: a SlabAllocator whose
// slabs carry the cache as their owner, plus a remote-free list. A free on
// the owning thread (the block's slab header names this cache) is the plain
// SlabAllocator push: no lock, no atomic. A free of another cache's block
// pushes it onto that cache's remote list with a compare-and-swap. The owner
// takes its remote list whole (one atomic exchange) only when a class's
// free list runs empty, so the owner's fast paths never execute an atomic
// read-modify-write.
//
// Caches outlive their ConcurrentSlabAllocator: the destructor drains and
// trims its cache and parks it in a process-wide pool, where blocks still
// held by other threads can be freed into it; the next
// ConcurrentSlabAllocator constructed (on any thread) adopts a parked cache
// before making a new one. So a producer may exit before its consumer frees
// the producer's blocks. Parked caches keep only slabs with live blocks.
//
// Threading contract: one ConcurrentSlabAllocator is used by one thread at a
// time; Deallocate may be called on any ConcurrentSlabAllocator for a block
// from any other. ThisThread() gives each thread its own. Requests over
// 4096 bytes go straight to the (thread-safe) upstream new_delete_resource.
#ifndef ALLOCMARK_ALLOCATORS_SLAB_MT_H_
#define ALLOCMARK_ALLOCATORS_SLAB_MT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <mutex>
#include <new>

#include "allocators/size_classes.h"
#include "allocators/slab.h"
#include "allocators/slab_class.h"

namespace allocmark {

// One thread's slabs and the list other threads free its blocks onto.
struct SlabCache {
  SlabCache() : local(std::pmr::new_delete_resource(), this) {}

  // Any thread: hands a block of this cache back to it.
  void RemotePush(void* p) {
    void* head = remote_head.load(std::memory_order_relaxed);
    do {
      SetNextFree(p, head);
    } while (!remote_head.compare_exchange_weak(
        head, p, std::memory_order_release, std::memory_order_relaxed));
  }
  // Owner only: moves remote frees onto the local free lists; false when
  // there were none. The plain load keeps the empty case free of RMW.
  bool DrainRemote() {
    if (remote_head.load(std::memory_order_relaxed) == nullptr) return false;
    void* p = remote_head.exchange(nullptr, std::memory_order_acquire);
    while (p != nullptr) {
      void* next = NextFree(p);
      SlabAllocator::PushFree(p);
      p = next;
    }
    return true;
  }

  SlabAllocator local;
  alignas(64) std::atomic<void*> remote_head{nullptr};
  SlabCache* next_parked = nullptr;  // guarded by the pool's mutex
};

// The process-wide pool of parked caches. Caches are never destroyed (a
// block may be freed into one at any time), so the pool is leaked on purpose.
class SlabCachePool {
 public:
  static SlabCachePool& Get() {
    static auto* pool = new SlabCachePool();
    return *pool;
  }
  SlabCache* Adopt() {
    std::lock_guard lock(mutex_);
    if (parked_ == nullptr) return new SlabCache();
    SlabCache* cache = parked_;
    parked_ = cache->next_parked;
    return cache;
  }
  void Park(SlabCache* cache) {
    cache->DrainRemote();
    cache->local.Trim();
    std::lock_guard lock(mutex_);
    cache->next_parked = parked_;
    parked_ = cache;
  }

 private:
  std::mutex mutex_;
  SlabCache* parked_ = nullptr;
};

class ConcurrentSlabAllocator {
 public:
  ConcurrentSlabAllocator() : cache_(SlabCachePool::Get().Adopt()) {}
  ~ConcurrentSlabAllocator() { SlabCachePool::Get().Park(cache_); }
  ConcurrentSlabAllocator(const ConcurrentSlabAllocator&) = delete;
  ConcurrentSlabAllocator& operator=(const ConcurrentSlabAllocator&) = delete;

  // The calling thread's own allocator.
  static ConcurrentSlabAllocator& ThisThread() {
    thread_local ConcurrentSlabAllocator allocator;
    return allocator;
  }

  // As SlabAllocator::Allocate; owner thread only.
  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    if (size_bytes <= kMaxSmallBytes && align_bytes <= 16) [[likely]] {
      const unsigned c = align_bytes <= 8 ? kClassOfSize8[size_bytes]
                                          : kClassOfSize16[size_bytes];
      if (void* p = cache_->local.TryPop(c)) [[likely]]
        return p;
      return Refill(c);
    }
    return AllocateSlow(size_bytes, align_bytes);
  }

  // Gives back a block from Allocate of any ConcurrentSlabAllocator, with
  // the same size and alignment.
  void Deallocate(void* p, std::size_t size_bytes, std::size_t align_bytes) {
    if (size_bytes <= kMaxSmallBytes && align_bytes <= 16) [[likely]] {
      Free(p);
      return;
    }
    DeallocateSlow(p, size_bytes, align_bytes);
  }

  // Takes remote frees, then returns fully free slabs to the upstream.
  std::size_t Trim() {
    cache_->DrainRemote();
    return cache_->local.Trim();
  }
  // Blocks freed remotely and not drained yet count as live.
  SlabStats Stats() const { return cache_->local.Stats(); }

 private:
  void Free(void* p) {
    SlabHeader* header = HeaderOf(p);
    if (header->owner == cache_) [[likely]] {
      void** head = header->free_head;
      SetNextFree(p, *head);
      *head = p;
    } else {
      static_cast<SlabCache*>(header->owner)->RemotePush(p);
    }
  }
  [[gnu::noinline]] void* Refill(unsigned c) {
    if (cache_->DrainRemote())
      if (void* p = cache_->local.TryPop(c)) return p;
    return cache_->local.Refill(c);
  }
  [[gnu::noinline]] void* AllocateSlow(std::size_t size_bytes,
                                       std::size_t align_bytes) {
    if (align_bytes == 0 || (align_bytes & (align_bytes - 1)) != 0)
      return nullptr;
    const int c = ClassFor(size_bytes, align_bytes);
    if (c >= 0) {
      if (void* p = cache_->local.TryPop(static_cast<unsigned>(c))) return p;
      return Refill(static_cast<unsigned>(c));
    }
    if (size_bytes > static_cast<std::size_t>(PTRDIFF_MAX)) return nullptr;
    try {
      return std::pmr::new_delete_resource()->allocate(size_bytes, align_bytes);
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
  }
  [[gnu::noinline]] void DeallocateSlow(void* p, std::size_t size_bytes,
                                        std::size_t align_bytes) {
    if (ClassFor(size_bytes, align_bytes) >= 0)
      Free(p);
    else
      std::pmr::new_delete_resource()->deallocate(p, size_bytes, align_bytes);
  }

  SlabCache* cache_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_SLAB_MT_H_
