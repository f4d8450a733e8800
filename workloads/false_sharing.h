// The write loop of Hoard's false-sharing tests (cache_scratch, cache_thrash):
// a thread writes every byte of its small object `writes` times, the work
// that makes two threads' objects on one cache line ping-pong between cores.
#ifndef ALLOCMARK_WORKLOADS_FALSE_SHARING_H_
#define ALLOCMARK_WORKLOADS_FALSE_SHARING_H_

#include <cstddef>
#include <cstdint>

#include "workloads/block_check.h"

namespace allocmark {

// Writes each byte of p[0, size_bytes) `writes` times (each pass a store the
// compiler may not merge with the next), then leaves the block holding the
// pattern of `tag`, for CheckBlock before the free.
inline void WriteRepeatedly(void* p, std::size_t size_bytes, std::size_t writes,
                            std::uint64_t tag) {
  auto* bytes = static_cast<unsigned char*>(p);
  for (std::size_t w = 0; w < writes; ++w) {
    for (std::size_t i = 0; i < size_bytes; ++i)
      bytes[i] = static_cast<unsigned char>(w + i);
    asm volatile("" : : "r"(bytes) : "memory");
  }
  FillBlock(p, size_bytes, tag);
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_FALSE_SHARING_H_
