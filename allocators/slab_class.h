// SlabClass: the slabs of one block size, the building block of
// SlabAllocator (size classes), ObjectPool<T> (one type) and
// ConcurrentSlabAllocator.
//
// A slab is kSlabBytes of memory aligned to kSlabBytes, obtained from the
// upstream memory_resource; blocks start at offset 0 and a SlabHeader sits in
// the slab's last bytes, so HeaderOf(p) finds a block's slab with a mask.
// Free blocks of a class form one LIFO list threaded through the blocks
// themselves; its head is stored by the owner of the class (next to the
// other heads, so that the allocation fast path indexes one array), and the
// SlabClass holds a pointer to it. Allocation pops that list, a free pushes
// onto the list named in the block's slab header: both O(1), whatever the
// free order and the number of slabs. New slabs are carved lazily, one page
// worth of blocks at a time, so untouched slab memory stays non-resident.
//
// Trim() returns fully free slabs to the upstream: it counts free blocks per
// slab by walking the free list, so it costs O(free blocks + slabs); call it
// outside hot loops. Not thread-safe.
#ifndef ALLOCMARK_ALLOCATORS_SLAB_CLASS_H_
#define ALLOCMARK_ALLOCATORS_SLAB_CLASS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <new>

namespace allocmark {

inline constexpr std::size_t kSlabBytes = 256 * 1024;

class SlabClass;

// The last bytes of every slab.
struct SlabHeader {
  void** free_head;  // the list a freed block of this slab goes onto
  void* owner;  // tag of the allocator owning the slab (cross-thread routing)
  SlabClass* cls;
  SlabHeader* prev;  // in cls's list of slabs
  SlabHeader* next;
  std::uint32_t block_bytes;
  std::uint32_t capacity;      // blocks in the slab
  std::uint32_t scratch_free;  // free blocks, counted by Trim
};

inline constexpr std::size_t kSlabUsableBytes = kSlabBytes - sizeof(SlabHeader);

// The header of the slab holding p (any address inside one of its blocks).
inline SlabHeader* HeaderOf(const void* p) {
  return reinterpret_cast<SlabHeader*>(
      (reinterpret_cast<std::uintptr_t>(p) & ~(kSlabBytes - 1)) +
      kSlabUsableBytes);
}

// The free-list link stored in a free block's first word.
inline void* NextFree(const void* block) {
  void* next;
  std::memcpy(&next, block, sizeof next);
  return next;
}
inline void SetNextFree(void* block, void* next) {
  std::memcpy(block, &next, sizeof next);
}

struct SlabClassStats {
  std::size_t block_bytes = 0;
  std::size_t slabs = 0;
  std::size_t live_blocks = 0;  // handed out and not freed onto the list
  std::size_t free_blocks = 0;  // on the free list or not carved yet
};

class SlabClass {
 public:
  SlabClass() = default;
  SlabClass(const SlabClass&) = delete;
  SlabClass& operator=(const SlabClass&) = delete;
  ~SlabClass() { ReleaseAll(); }

  // block_bytes: a multiple of 8, at least 8, at most kSlabUsableBytes.
  // free_head: where the class's free-list head lives (starts nullptr).
  // owner: a tag stored in every slab header. upstream outlives the class.
  void Init(std::uint32_t block_bytes, void** free_head, void* owner,
            std::pmr::memory_resource* upstream) {
    block_bytes_ = block_bytes;
    capacity_ = static_cast<std::uint32_t>(kSlabUsableBytes / block_bytes);
    free_head_ = free_head;
    owner_ = owner;
    upstream_ = upstream;
  }

  // Called when the free list is empty: carves new blocks (from the current
  // slab, or a new one) onto the free list and returns one of them. Returns
  // nullptr when the upstream cannot give a slab (it threw std::bad_alloc).
  [[gnu::noinline]] inline void* Refill();

  // Returns every slab whose blocks are all free to the upstream; returns the
  // number of bytes given back. Precondition: every freed block of this
  // class is on the free list (ConcurrentSlabAllocator drains first).
  std::size_t Trim();

  SlabClassStats Stats() const;

  // Returns every slab to the upstream, live blocks included.
  void ReleaseAll();

  std::uint32_t block_bytes() const { return block_bytes_; }

 private:
  bool NewSlab();
  std::size_t Uncarved() const {
    return static_cast<std::size_t>(carve_end_ - carve_cur_) / block_bytes_;
  }

  void** free_head_ = nullptr;
  void* owner_ = nullptr;
  std::pmr::memory_resource* upstream_ = nullptr;
  char* carve_cur_ = nullptr;  // next block never handed out, in carve_slab_
  char* carve_end_ = nullptr;
  SlabHeader* carve_slab_ = nullptr;
  SlabHeader* slabs_ = nullptr;
  std::size_t slab_count_ = 0;
  std::uint32_t block_bytes_ = 0;
  std::uint32_t capacity_ = 0;
};

inline bool SlabClass::NewSlab() {
  void* memory;
  try {
    memory = upstream_->allocate(kSlabBytes, kSlabBytes);
  } catch (const std::bad_alloc&) {
    return false;
  }
  auto* base = static_cast<char*>(memory);
  auto* header = ::new (base + kSlabUsableBytes) SlabHeader{
      free_head_, owner_, this, nullptr, slabs_, block_bytes_, capacity_, 0};
  if (slabs_ != nullptr) slabs_->prev = header;
  slabs_ = header;
  ++slab_count_;
  carve_slab_ = header;
  carve_cur_ = base;
  carve_end_ = base + static_cast<std::size_t>(capacity_) * block_bytes_;
  return true;
}

void* SlabClass::Refill() {
  if (carve_cur_ == carve_end_ && !NewSlab()) return nullptr;
  // A page's worth per refill: enough to amortise the call, little enough
  // to leave the rest of the slab untouched.
  const std::size_t batch =
      std::clamp<std::size_t>(4096 / block_bytes_, 1, Uncarved());
  char* block = carve_cur_;
  carve_cur_ += batch * block_bytes_;
  void* head = *free_head_;
  for (char* b = carve_cur_ - block_bytes_; b != block; b -= block_bytes_) {
    SetNextFree(b, head);
    head = b;
  }
  *free_head_ = head;
  return block;
}

inline std::size_t SlabClass::Trim() {
  for (SlabHeader* s = slabs_; s != nullptr; s = s->next) s->scratch_free = 0;
  for (void* p = *free_head_; p != nullptr; p = NextFree(p))
    ++HeaderOf(p)->scratch_free;
  if (carve_slab_ != nullptr)
    carve_slab_->scratch_free += static_cast<std::uint32_t>(Uncarved());
  // Unlink the blocks of fully free slabs, keeping the others in order.
  void* kept_tail = nullptr;
  for (void* p = *free_head_; p != nullptr;) {
    void* next = NextFree(p);
    if (HeaderOf(p)->scratch_free != capacity_) {
      if (kept_tail == nullptr)
        *free_head_ = p;
      else
        SetNextFree(kept_tail, p);
      kept_tail = p;
    }
    p = next;
  }
  if (kept_tail == nullptr)
    *free_head_ = nullptr;
  else
    SetNextFree(kept_tail, nullptr);
  std::size_t released = 0;
  for (SlabHeader* s = slabs_; s != nullptr;) {
    SlabHeader* next = s->next;
    if (s->scratch_free == capacity_) {
      (s->prev != nullptr ? s->prev->next : slabs_) = s->next;
      if (s->next != nullptr) s->next->prev = s->prev;
      if (s == carve_slab_) {
        carve_slab_ = nullptr;
        carve_cur_ = carve_end_ = nullptr;
      }
      --slab_count_;
      upstream_->deallocate(reinterpret_cast<char*>(s) - kSlabUsableBytes,
                            kSlabBytes, kSlabBytes);
      released += kSlabBytes;
    }
    s = next;
  }
  return released;
}

inline SlabClassStats SlabClass::Stats() const {
  SlabClassStats stats;
  stats.block_bytes = block_bytes_;
  stats.slabs = slab_count_;
  std::size_t free = Uncarved();
  for (void* p = *free_head_; p != nullptr; p = NextFree(p)) ++free;
  stats.free_blocks = free;
  stats.live_blocks = slab_count_ * capacity_ - free;
  return stats;
}

inline void SlabClass::ReleaseAll() {
  while (slabs_ != nullptr) {
    SlabHeader* s = slabs_;
    slabs_ = s->next;
    upstream_->deallocate(reinterpret_cast<char*>(s) - kSlabUsableBytes,
                          kSlabBytes, kSlabBytes);
  }
  slab_count_ = 0;
  carve_slab_ = nullptr;
  carve_cur_ = carve_end_ = nullptr;
  if (free_head_ != nullptr) *free_head_ = nullptr;
}

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_SLAB_CLASS_H_
