// The list of heaps a workload can run on, by name, and the dispatch from a
// name chosen at run time to the Heap type the workload template is built for.
// Adding a heap: one HeapKind, one row in kHeapNames, one case in WithHeap.
#ifndef ALLOCMARK_ALLOCATORS_HEAPS_H_
#define ALLOCMARK_ALLOCATORS_HEAPS_H_

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "allocators/heap.h"
#include "allocators/own_heaps.h"
#include "allocators/pmr_heaps.h"

namespace allocmark {

// kSlabMt is the slab with per-thread caches and remote frees: a kind of its
// own (not a mode of kSlab) because its frees cost an owner check that the
// single-threaded slab does not pay, and a result row must say which one
// was measured; cross-thread workloads pick it by AcceptsCrossThreadFree.
enum class HeapKind {
  kMalloc,
  kArena,
  kSlab,
  kSlabMt,
  kPmrMonotonic,
  kPmrPool
};

inline constexpr std::array<std::pair<HeapKind, std::string_view>, 6>
    kHeapNames = {{{HeapKind::kMalloc, "malloc"},
                   {HeapKind::kArena, "arena"},
                   {HeapKind::kSlab, "slab"},
                   {HeapKind::kSlabMt, "slab-mt"},
                   {HeapKind::kPmrMonotonic, "pmr-monotonic"},
                   {HeapKind::kPmrPool, "pmr-pool"}}};

constexpr std::string_view HeapName(HeapKind kind) {
  for (const auto& [k, name] : kHeapNames)
    if (k == kind) return name;
  return "?";
}

constexpr std::optional<HeapKind> HeapFromName(std::string_view name) {
  for (const auto& [k, n] : kHeapNames)
    if (n == name) return k;
  return std::nullopt;
}

// Calls fn.template operator()<H>() with the Heap type of `kind`, e.g.
//   WithHeap(kind, [&]<Heap H>() { RunFrames<H>(...); });
// Returns false when the heap is not built into this binary.
template <class F>
bool WithHeap(HeapKind kind, F&& fn) {
  switch (kind) {
    case HeapKind::kMalloc:
      fn.template operator()<MallocHeap>();
      return true;
    case HeapKind::kPmrMonotonic:
      fn.template operator()<PmrMonotonicHeap>();
      return true;
    case HeapKind::kPmrPool:
      fn.template operator()<PmrPoolHeap>();
      return true;
    case HeapKind::kArena:
      fn.template operator()<ArenaHeap>();
      return true;
    case HeapKind::kSlab:
      fn.template operator()<SlabHeap>();
      return true;
    case HeapKind::kSlabMt:
      fn.template operator()<SlabMtHeap>();
      return true;
  }
  return false;
}

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_HEAPS_H_
