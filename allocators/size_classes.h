// The size classes of SlabAllocator: 8 to 4096 bytes, 16 apart up to 128,
// then four per doubling (160, 192, 224, 256, 320, ...), so a request wastes
// at most 25% (and under 16 bytes below 128). Every class from 16 up is a
// multiple of 16, so its blocks are 16-aligned; 8 and 24 serve requests
// aligned to at most 8.
//
// The lookup tables map a request size (0..4096) straight to a class index,
// one table per alignment (<= 8, == 16), so the fast path needs no
// arithmetic on the size.
#ifndef ALLOCMARK_ALLOCATORS_SIZE_CLASSES_H_
#define ALLOCMARK_ALLOCATORS_SIZE_CLASSES_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace allocmark {

inline constexpr std::size_t kMaxSmallBytes = 4096;

inline constexpr std::array<std::uint16_t, 30> kClassBytes = {
    8,   16,   24,   32,   48,   64,   80,   96,   112,  128,
    160, 192,  224,  256,  320,  384,  448,  512,  640,  768,
    896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096};
inline constexpr std::size_t kNumClasses = kClassBytes.size();

namespace size_classes_internal {
// Index of the smallest class of at least `size` bytes that is a multiple of
// `granule`.
constexpr std::uint8_t SmallestClass(std::size_t size, std::size_t granule) {
  for (std::size_t c = 0; c < kNumClasses; ++c)
    if (kClassBytes[c] >= size && kClassBytes[c] % granule == 0)
      return static_cast<std::uint8_t>(c);
  return 0xff;
}
constexpr std::array<std::uint8_t, kMaxSmallBytes + 1> MakeTable(
    std::size_t granule) {
  std::array<std::uint8_t, kMaxSmallBytes + 1> table{};
  for (std::size_t size = 0; size <= kMaxSmallBytes; ++size)
    table[size] = SmallestClass(size, granule);
  return table;
}
}  // namespace size_classes_internal

// Class index for a size in [0, 4096], alignment <= 8 / alignment 16.
inline constexpr auto kClassOfSize8 = size_classes_internal::MakeTable(8);
inline constexpr auto kClassOfSize16 = size_classes_internal::MakeTable(16);

// Class index for any size and power-of-two alignment whose class blocks
// are aligned enough (the class size is a multiple of the alignment and the
// alignment divides kSlabBytes), or -1 when the request must go to the
// upstream.
constexpr int ClassFor(std::size_t size_bytes, std::size_t align_bytes) {
  if (size_bytes > kMaxSmallBytes) return -1;
  if (align_bytes <= 8) return kClassOfSize8[size_bytes];
  if (align_bytes <= 16) return kClassOfSize16[size_bytes];
  if (align_bytes > kMaxSmallBytes) return -1;
  const std::size_t rounded =
      (size_bytes + align_bytes - 1) & ~(align_bytes - 1);
  const int c = size_classes_internal::SmallestClass(
      rounded == 0 ? align_bytes : rounded, align_bytes);
  return c == 0xff ? -1 : c;
}

}  // namespace allocmark

#endif  // ALLOCMARK_ALLOCATORS_SIZE_CLASSES_H_
