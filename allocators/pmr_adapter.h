// PmrAdapter: any allocmark allocator as a std::pmr::memory_resource.
//
// A is an allocator with `void* Allocate(size_t, size_t)` returning nullptr
// on failure and, optionally, `void Deallocate(void*, size_t, size_t)` (an
// Arena has none: deallocate() is then a no-op and memory returns at the
// arena's Reset()). The adapter follows the memory_resource contract:
// allocate() throws std::bad_alloc where A returns nullptr. It refers to A,
// which must outlive it. Two adapters are equal when they refer to the same
// allocator. The virtual call is the price of std::pmr; the Heap concept and
// ArenaAllocator<T> avoid it.
#ifndef ALLOCMARK_ALLOCATORS_PMR_ADAPTER_H_
#define ALLOCMARK_ALLOCATORS_PMR_ADAPTER_H_

#include <cstddef>
#include <memory_resource>
#include <new>

namespace allocmark {

template <class A>
class PmrAdapter final : public std::pmr::memory_resource {
 public:
  explicit PmrAdapter(A& allocator) : allocator_(&allocator) {}
  A& allocator() const { return *allocator_; }

 private:
  void* do_allocate(std::size_t bytes, std::size_t alignment) override {
    void* p = allocator_->Allocate(bytes, alignment);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes,
                     std::size_t alignment) override {
    if constexpr (requires { allocator_->Deallocate(p, bytes, alignment); })
      allocator_->Deallocate(p, bytes, alignment);
  }
  bool do_is_equal(
      const std::pmr::memory_resource& other) const noexcept override {
    const auto* o = dynamic_cast<const PmrAdapter*>(&other);
    return o != nullptr && o->allocator_ == allocator_;
  }

  A* allocator_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_PMR_ADAPTER_H_
