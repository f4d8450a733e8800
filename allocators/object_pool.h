// ObjectPool<T>: a fixed-size slab pool for one object type.
//
// The cheapest allocator here: Allocate pops a free list, Deallocate pushes
// onto it, with no size lookup and no header access (every block is this
// pool's). Blocks are sizeof(T) rounded up to a multiple of max(8,
// alignof(T)); slabs as in slab_class.h. Single-threaded. Deallocate takes
// only blocks of this pool.
#ifndef ALLOCMARK_ALLOCATORS_OBJECT_POOL_H_
#define ALLOCMARK_ALLOCATORS_OBJECT_POOL_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>
#include <utility>

#include "allocators/slab_class.h"

namespace allocmark {

template <class T>
class ObjectPool {
 public:
  static constexpr std::size_t kBlockAlign =
      std::max<std::size_t>(alignof(T), alignof(void*));
  static constexpr std::size_t kBlockBytes =
      (std::max(sizeof(T), sizeof(void*)) + kBlockAlign - 1) &
      ~(kBlockAlign - 1);
  static_assert(kBlockBytes <= kSlabUsableBytes / 2,
                "ObjectPool is for objects of at most ~32 KiB");
  static_assert(alignof(T) <= 4096, "alignment over 4 KiB is not supported");

  explicit ObjectPool(
      std::pmr::memory_resource* upstream = std::pmr::new_delete_resource()) {
    class_.Init(static_cast<std::uint32_t>(kBlockBytes), &free_, this,
                upstream);
  }
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;

  // Storage for one T (not constructed), or nullptr when the upstream fails.
  void* Allocate() {
    void* p = free_;
    if (p == nullptr) [[unlikely]]
      return class_.Refill();
    free_ = NextFree(p);
    return p;
  }
  // Gives back storage from Allocate (the T already destroyed).
  void Deallocate(void* p) {
    SetNextFree(p, free_);
    free_ = p;
  }

  // Allocate + construct; throws std::bad_alloc when the upstream fails and
  // whatever T's constructor throws (the storage is then given back).
  template <class... Args>
  T* New(Args&&... args) {
    void* p = Allocate();
    if (p == nullptr) throw std::bad_alloc();
    try {
      return ::new (p) T(std::forward<Args>(args)...);
    } catch (...) {
      Deallocate(p);
      throw;
    }
  }
  void Delete(T* object) {
    object->~T();
    Deallocate(object);
  }

  std::size_t Trim() { return class_.Trim(); }
  SlabClassStats Stats() const { return class_.Stats(); }

 private:
  void* free_ = nullptr;
  SlabClass class_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_OBJECT_POOL_H_
