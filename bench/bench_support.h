// Shared by the micro-suite: request traces generated before timing.
#ifndef ALLOCMARK_BENCH_BENCH_SUPPORT_H_
#define ALLOCMARK_BENCH_BENCH_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace allocmark::bench {

inline std::uint64_t SplitMix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// n sizes uniform in [lo, hi] bytes, the same for every allocator.
inline std::vector<std::uint32_t> UniformSizes(std::size_t n, std::uint32_t lo,
                                               std::uint32_t hi,
                                               std::uint64_t seed = 42) {
  std::vector<std::uint32_t> sizes(n);
  for (auto& s : sizes)
    s = lo + static_cast<std::uint32_t>(SplitMix(seed) % (hi - lo + 1));
  return sizes;
}

// n indices uniform in [0, bound).
inline std::vector<std::uint32_t> UniformIndices(std::size_t n,
                                                 std::uint32_t bound,
                                                 std::uint64_t seed = 7) {
  std::vector<std::uint32_t> out(n);
  for (auto& i : out) i = static_cast<std::uint32_t>(SplitMix(seed) % bound);
  return out;
}

}  // namespace allocmark::bench

#endif  // ALLOCMARK_BENCH_BENCH_SUPPORT_H_
