// The Heap concept: what every in-process heap offers to the workloads.
//
// Workloads are templates over a Heap, so the timed code makes no virtual call
// and every heap meets the same workload code. A heap object belongs to one
// thread unless its type says otherwise; workloads construct one per thread.
//
//   void* Allocate(size_t size_bytes, size_t align_bytes)
//       Returns a block of at least size_bytes aligned to align_bytes (a power
//       of two), or nullptr when the heap cannot serve the request.
//   void Deallocate(void* p, size_t size_bytes, size_t align_bytes)
//       Gives back a block from Allocate with the same size and alignment.
//       Heaps that only release in bulk (arena, pmr-monotonic) make it a no-op.
//   void Reset()
//       Ends a phase (frame, document, request): bulk heaps release every
//       block at once; heaps that free individually make it a no-op.
//   static constexpr bool kCrossThreadFree   (optional; absent means false)
//       True when a block may be given to Deallocate of another thread's
//       heap of the same type (the heaps of both threads being alive or not:
//       malloc, slab-mt). False: blocks go back to the heap object that
//       allocated them, on its thread (arena, slab, pmr-*). Workloads that
//       free on another thread (producer_consumer, xmalloc) run only on
//       heaps with AcceptsCrossThreadFree<H>.
#ifndef ALLOCMARK_ALLOCATORS_HEAP_H_
#define ALLOCMARK_ALLOCATORS_HEAP_H_

#include <concepts>
#include <cstddef>
#include <cstdlib>

namespace allocmark {

template <class H>
concept Heap = std::default_initializable<H> &&
    requires(H h, std::size_t n, std::size_t a, void* p) {
  { h.Allocate(n, a) } -> std::same_as<void*>;
  h.Deallocate(p, n, a);
  h.Reset();
  { H::kName } -> std::convertible_to<const char*>;
};

// The heap that goes to the process allocator: malloc/free, or
// aligned_alloc when the alignment exceeds what malloc guarantees.
class MallocHeap {
 public:
  static constexpr const char* kName = "malloc";
  static constexpr bool kCrossThreadFree = true;

  void* Allocate(std::size_t size_bytes, std::size_t align_bytes) {
    if (align_bytes <= alignof(std::max_align_t))
      return std::malloc(size_bytes);
    // aligned_alloc wants a size that is a multiple of the alignment.
    std::size_t rounded = (size_bytes + align_bytes - 1) & ~(align_bytes - 1);
    return std::aligned_alloc(align_bytes, rounded);
  }
  void Deallocate(void* p, std::size_t, std::size_t) { std::free(p); }
  void Reset() {}
};

// H::kCrossThreadFree, or false where H does not declare it.
template <class H>
inline constexpr bool AcceptsCrossThreadFree = [] {
  if constexpr (requires { H::kCrossThreadFree; })
    return static_cast<bool>(H::kCrossThreadFree);
  else
    return false;
}();

static_assert(Heap<MallocHeap>);
static_assert(AcceptsCrossThreadFree<MallocHeap>);

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_HEAP_H_
