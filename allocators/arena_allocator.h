// ArenaAllocator<T>: a standard allocator (std::vector<T, ArenaAllocator<T>>,
// std::allocate_shared, node containers) over an Arena, with no virtual call
// and one pointer of state. allocate(n) throws std::bad_array_new_length when
// n * sizeof(T) overflows and std::bad_alloc when the arena returns nullptr;
// deallocate() is a no-op (memory returns at the arena's Reset()). Copies
// and rebinds share the arena; allocators are equal when their arenas are.
#ifndef ALLOCMARK_ALLOCATORS_ARENA_ALLOCATOR_H_
#define ALLOCMARK_ALLOCATORS_ARENA_ALLOCATOR_H_

#include <cstddef>
#include <new>
#include <stdexcept>

#include "allocators/arena.h"

namespace allocmark {

template <class T>
class ArenaAllocator {
 public:
  using value_type = T;

  explicit ArenaAllocator(Arena& arena) noexcept : arena_(&arena) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept  // NOLINT: rebind
      : arena_(&other.arena()) {}

  T* allocate(std::size_t n) {
    std::size_t bytes;
    if (__builtin_mul_overflow(n, sizeof(T), &bytes))
      throw std::bad_array_new_length();
    void* p = arena_->Allocate(bytes, alignof(T));
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T*, std::size_t) noexcept {}

  Arena& arena() const noexcept { return *arena_; }

  template <class U>
  bool operator==(const ArenaAllocator<U>& other) const noexcept {
    return arena_ == &other.arena();
  }

 private:
  Arena* arena_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_ARENA_ALLOCATOR_H_
