// What a workload needs to know about a heap beyond the Heap concept.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_HEAP_TRAITS_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_HEAP_TRAITS_H_

#include <string_view>

#include "allocators/heap.h"

namespace allocmark {

// True for heaps whose Deallocate does nothing and whose Reset releases every
// block (arena, pmr-monotonic): a program on such a heap drops a whole
// structure by resetting, without walking it to free each block, and the
// workloads do the same so that each heap is measured as it is used.
template <Heap H>
inline constexpr bool kReleasesInBulk =
    std::string_view(H::kName) == "arena" || std::string_view(H::kName) ==
                                                 "pmr-monotonic";

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_HEAP_TRAITS_H_
