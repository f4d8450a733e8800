// Deterministic random numbers for trace generation: the same seed gives the
// same sequence with every compiler and standard library (std's distributions
// do not promise that), so every allocator meets the same requests.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_RNG_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_RNG_H_

#include <cstdint>

namespace allocmark {

// splitmix64: small, fast, passes BigCrush; good enough to pick sizes.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi], inclusive; lo <= hi.
  std::uint64_t Uniform(std::uint64_t lo, std::uint64_t hi) {
    return lo + Next() % (hi - lo + 1);
  }
  // Uniform in [0, n); n > 0.
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }
  // Log-uniform in [lo, hi]: a power of two picked uniformly, then a value
  // within it, so most values are small; 1 <= lo <= hi.
  std::uint64_t LogUniform(std::uint64_t lo, std::uint64_t hi) {
    const int lo_bit = 63 - __builtin_clzll(lo);
    const int hi_bit = 63 - __builtin_clzll(hi);
    const int bit =
        lo_bit + static_cast<int>(
                     Below(static_cast<std::uint64_t>(hi_bit - lo_bit + 1)));
    return Uniform(lo > (1ULL << bit) ? lo : 1ULL << bit,
                   hi < (2ULL << bit) - 1 ? hi : (2ULL << bit) - 1);
  }
  // True with probability permille / 1000.
  bool Chance(std::uint64_t permille) { return Next() % 1000 < permille; }

 private:
  std::uint64_t state_;
};

// The generator of stream `stream` (a thread, a table) of a run seeded with
// `seed`: each stream draws its own numbers, the same for the same seed.
inline Rng StreamRng(std::uint64_t seed, std::uint64_t stream) {
  return Rng(seed * 1000003 + stream);
}

// Order-sensitive hash of a request sequence (FNV-1a over 64-bit words),
// recorded per cell as request_checksum to show that every allocator met the
// same requests.
class RequestHash {
 public:
  void Add(std::uint64_t word) {
    for (int i = 0; i < 8; ++i) {
      hash_ ^= (word >> (8 * i)) & 0xff;
      hash_ *= 0x100000001b3ULL;
    }
  }
  std::uint64_t value() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_RNG_H_
