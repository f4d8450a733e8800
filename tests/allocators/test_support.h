// Helpers for the allocator tests: an upstream that counts and can be
// limited, and a shadow map that proves no two live blocks overlap.
#ifndef ALLOCMARK_TESTS_ALLOCATORS_TEST_SUPPORT_H_
#define ALLOCMARK_TESTS_ALLOCATORS_TEST_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory_resource>
#include <new>

namespace allocmark::testing {

// Forwards to new_delete_resource, counting calls and bytes; throws
// std::bad_alloc once limit_bytes would be exceeded.
class CountingResource final : public std::pmr::memory_resource {
 public:
  explicit CountingResource(std::size_t limit_bytes = SIZE_MAX)
      : limit_bytes_(limit_bytes) {}

  std::size_t allocations = 0;
  std::size_t deallocations = 0;
  std::size_t live_bytes = 0;

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    if (bytes > limit_bytes_ - live_bytes) throw std::bad_alloc();
    void* p = std::pmr::new_delete_resource()->allocate(bytes, align);
    ++allocations;
    live_bytes += bytes;
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    ++deallocations;
    live_bytes -= bytes;
    std::pmr::new_delete_resource()->deallocate(p, bytes, align);
  }
  bool do_is_equal(const memory_resource& other) const noexcept override {
    return this == &other;
  }

  std::size_t limit_bytes_;
};

// Live blocks by address; Insert fails when a new block overlaps one.
class ShadowMap {
 public:
  // False when [p, p + size) overlaps a live block.
  bool Insert(const void* p, std::size_t size) {
    const auto begin = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t end = begin + (size == 0 ? 1 : size);
    auto next = blocks_.lower_bound(begin);
    if (next != blocks_.end() && next->first < end) return false;
    if (next != blocks_.begin() && std::prev(next)->second > begin)
      return false;
    blocks_.emplace(begin, end);
    return true;
  }
  void Erase(const void* p) {
    blocks_.erase(reinterpret_cast<std::uintptr_t>(p));
  }
  void Clear() { blocks_.clear(); }
  std::size_t size() const { return blocks_.size(); }

 private:
  std::map<std::uintptr_t, std::uintptr_t> blocks_;  // begin -> end
};

inline bool IsAligned(const void* p, std::size_t align) {
  return reinterpret_cast<std::uintptr_t>(p) % align == 0;
}

}  // namespace allocmark::testing

#endif  // ALLOCMARK_TESTS_ALLOCATORS_TEST_SUPPORT_H_
