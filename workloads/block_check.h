// Writing and verifying blocks. Every workload fills each block it allocates
// with a pattern derived from a tag (the request's index) and checks the
// pattern before it frees the block, so an allocator that hands out
// overlapping blocks or corrupts live memory fails the cell instead of
// winning it. Writing every byte also touches every page, so RSS is honest.
#ifndef ALLOCMARK_WORKLOADS_BLOCK_CHECK_H_
#define ALLOCMARK_WORKLOADS_BLOCK_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace allocmark {

inline std::uint64_t PatternWord(std::uint64_t tag, std::size_t i) {
  return (tag * 0x9e3779b97f4a7c15ULL) ^ (i * 0xff51afd7ed558ccdULL);
}

// Fills size_bytes at p with the pattern of `tag`.
inline void FillBlock(void* p, std::size_t size_bytes, std::uint64_t tag) {
  auto* bytes = static_cast<unsigned char*>(p);
  std::size_t words = size_bytes / 8;
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t w = PatternWord(tag, i);
    std::memcpy(bytes + 8 * i, &w, 8);
  }
  std::uint64_t last = PatternWord(tag, words);
  std::memcpy(bytes + 8 * words, &last, size_bytes % 8);
}

// True when the block still holds the pattern FillBlock wrote for `tag`.
inline bool CheckBlock(const void* p, std::size_t size_bytes,
                       std::uint64_t tag) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  std::size_t words = size_bytes / 8;
  std::uint64_t diff = 0;
  for (std::size_t i = 0; i < words; ++i) {
    std::uint64_t w;
    std::memcpy(&w, bytes + 8 * i, 8);
    diff |= w ^ PatternWord(tag, i);
  }
  std::uint64_t last = PatternWord(tag, words);
  return diff == 0 &&
         std::memcmp(bytes + 8 * words, &last, size_bytes % 8) == 0;
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_BLOCK_CHECK_H_
