// Writing and checking blocks. A workload writes into each block it allocates
// what its pattern writes (a classic: what its original writes; allocmark's
// own patterns: `write_bytes` from the block's start) and checks a canary
// before it frees the block, so an allocator that hands out overlapping blocks
// or corrupts live memory fails the cell instead of winning it, at the cost of
// two stores and two loads per block.
//
// The canary is the block's first word and, when the block has 16 bytes or
// more, its last word, each derived from the request's tag: a block handed
// out twice, a header written over, or a neighbour's overrun shows at one end
// or the other. `--verify full` (BlockVerify::kFull) instead fills every byte
// with the tag's pattern and checks every byte: the fault-injection tests use
// it; it costs a multiply, a store and a load per word, which at the quick
// profile is most of the time a small-object workload spends (so it is never
// the default).
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_BLOCK_CHECK_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_BLOCK_CHECK_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace allocmark {

enum class BlockVerify : std::uint8_t {
  kCanary,  // first and last word, tied to the tag (the default)
  kFull,    // every byte holds the tag's pattern, all checked on free
};

// "canary" or "full": the value of `--verify` and of run.json's "verify".
inline std::string_view BlockVerifyName(BlockVerify verify) {
  return verify == BlockVerify::kFull ? "full" : "canary";
}
// The mode named `name`; nullopt for any other name.
inline std::optional<BlockVerify> BlockVerifyFromName(std::string_view name) {
  if (name == "canary") return BlockVerify::kCanary;
  if (name == "full") return BlockVerify::kFull;
  return std::nullopt;
}

inline std::uint64_t PatternWord(std::uint64_t tag, std::size_t i) {
  return (tag * 0x9e3779b97f4a7c15ULL) ^ (i * 0xff51afd7ed558ccdULL);
}

// Fills size_bytes at p with the pattern of `tag` (every byte).
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

// The canary's two words for `tag`: the head (the first min(8, size) bytes)
// and the tail (the last 8 bytes of a block of 16 bytes or more).
inline std::uint64_t CanaryHead(std::uint64_t tag) {
  return PatternWord(tag, 0);
}
inline std::uint64_t CanaryTail(std::uint64_t tag) {
  return ~PatternWord(tag, 1);
}

// Fixed-size copies only, which the compiler turns into single moves: a
// copy or a comparison of a variable length would call into the C library.
inline void WriteCanary(void* p, std::size_t size_bytes, std::uint64_t tag) {
  auto* bytes = static_cast<unsigned char*>(p);
  const std::uint64_t head = CanaryHead(tag);
  if (size_bytes >= 8) [[likely]] {
    std::memcpy(bytes, &head, 8);
    if (size_bytes >= 16) {
      const std::uint64_t tail = CanaryTail(tag);
      std::memcpy(bytes + size_bytes - 8, &tail, 8);
    }
    return;
  }
  for (std::size_t i = 0; i < size_bytes; ++i)
    bytes[i] = static_cast<unsigned char>(head >> (8 * i));
}

inline bool CheckCanary(const void* p, std::size_t size_bytes,
                        std::uint64_t tag) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  const std::uint64_t head = CanaryHead(tag);
  if (size_bytes >= 8) [[likely]] {
    std::uint64_t word;
    std::memcpy(&word, bytes, 8);
    if (word != head) return false;
    if (size_bytes < 16) return true;
    std::memcpy(&word, bytes + size_bytes - 8, 8);
    return word == CanaryTail(tag);
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < size_bytes; ++i)
    diff |= static_cast<unsigned char>(bytes[i] ^ (head >> (8 * i)));
  return diff == 0;
}

// What a workload writes into each new block and checks before freeing it.
// Constructed once per workload (untimed); Write and Check are inlined into
// the timed loop.
class BlockWriter {
 public:
  // write_bytes: the bytes from the block's start that the pattern writes
  // (its fields, its contents), capped at the block's size; the canary is
  // written in addition. page_stride_bytes > 0: one more byte every that
  // many bytes, so that a large block's pages are resident as a program's
  // would be after it used the buffer (0: no such touch).
  constexpr BlockWriter(BlockVerify verify, std::size_t write_bytes,
                        std::size_t page_stride_bytes = 0)
      : verify_(verify),
        write_bytes_(write_bytes),
        page_stride_bytes_(page_stride_bytes),
        slow_(verify == BlockVerify::kFull || page_stride_bytes > 0) {}

  void Write(void* p, std::size_t size_bytes, std::uint64_t tag) const {
    if (slow_) [[unlikely]] {
      WriteSlow(p, size_bytes, tag);
      return;
    }
    WritePattern(static_cast<unsigned char*>(p), size_bytes);
    WriteCanary(p, size_bytes, tag);
  }

  // True when the block still holds what Write put there for `tag` (the
  // canary; every byte under kFull).
  bool Check(const void* p, std::size_t size_bytes, std::uint64_t tag) const {
    if (verify_ == BlockVerify::kFull) [[unlikely]]
      return CheckBlockOutOfLine(p, size_bytes, tag);
    return CheckCanary(p, size_bytes, tag);
  }

 private:
  // The first min(size, write_bytes) bytes. The canary covers the first 8
  // bytes. Beyond them, stores of a constant size, which compile to moves (a
  // memset of a run-time length would be a call into the C library for every
  // block). One byte value for every block: the canary is what ties a block
  // to its request, and a constant lets the compiler build the stored vector
  // once.
  void WritePattern(unsigned char* bytes, std::size_t size_bytes) const {
    const std::size_t n = std::min(size_bytes, write_bytes_);
    if (n > 32) [[likely]] {
      // Two overlapping stores cover 33 to 64 bytes with 32-byte moves.
      std::memset(bytes, kFillByte, 32);
      std::memset(bytes + n - 32, kFillByte, 32);
      if (n > 64) [[unlikely]]
        WriteMiddle(bytes, n);
    } else if (n > 16) {
      std::memset(bytes, kFillByte, 16);
      std::memset(bytes + n - 16, kFillByte, 16);
    } else if (n > 8) {
      std::memset(bytes + n - 8, kFillByte, 8);
    }
  }

  // Out of line, so that the canary path stays small enough to inline into
  // the timed loops: what lies beyond 64 bytes (64-byte moves fill the
  // middle, the last one ending at n), full verification, page touches.
  [[gnu::noinline]] static void WriteMiddle(unsigned char* bytes,
                                            std::size_t n) {
    for (std::size_t i = 32; i + 32 < n; i += 64)
      std::memset(bytes + std::min(i, n - 64), kFillByte, 64);
  }
  [[gnu::noinline]] void WriteSlow(void* p, std::size_t size_bytes,
                                   std::uint64_t tag) const {
    if (verify_ == BlockVerify::kFull) {
      FillBlock(p, size_bytes, tag);
      return;
    }
    auto* bytes = static_cast<unsigned char*>(p);
    WritePattern(bytes, size_bytes);
    if (page_stride_bytes_ > 0) TouchPages(bytes, size_bytes, tag);
    WriteCanary(p, size_bytes, tag);
  }
  [[gnu::noinline]] static bool CheckBlockOutOfLine(const void* p,
                                                    std::size_t size_bytes,
                                                    std::uint64_t tag) {
    return CheckBlock(p, size_bytes, tag);
  }
  [[gnu::noinline]] void TouchPages(unsigned char* bytes,
                                    std::size_t size_bytes,
                                    std::uint64_t tag) const {
    for (std::size_t i = page_stride_bytes_; i < size_bytes;
         i += page_stride_bytes_)
      bytes[i] = static_cast<unsigned char>(tag);
  }

  static constexpr unsigned char kFillByte = 0xa5;

  BlockVerify verify_;
  std::size_t write_bytes_;
  std::size_t page_stride_bytes_;
  bool slow_;  // verify_ is kFull, or pages are touched
};

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_BLOCK_CHECK_H_
