// Slab memory overhead, one measurement per process (run it alone:
// --benchmark_filter=BM_SlabMemory, as bench/render_table.py does, so that
// the resident-set deltas are this benchmark's own).
//
// 2^20 live blocks of 64 B (64 MiB) are allocated and written, then churned
// (2^20 random replacements); counters:
//   rss_per_live_steady: resident bytes added / live bytes requested.
// Then a random 90% is freed and Trim() called:
//   rss_per_live_after_trim: resident bytes added / live bytes left;
//   rss_per_peak_live_after_trim: resident bytes added / the peak live bytes;
//   slabs_released_fraction: slabs given back / slabs held.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "allocators/slab.h"
#include "base/resident_set.h"
#include "bench/bench_support.h"

namespace allocmark::bench {
namespace {

void BM_SlabMemory(benchmark::State& state) {
  constexpr std::size_t kBlocks = 1 << 20;
  constexpr std::size_t kBytes = 64;
  const auto slots = UniformIndices(kBlocks, kBlocks);
  std::vector<std::uint32_t> order(kBlocks);
  std::iota(order.begin(), order.end(), 0u);
  std::shuffle(order.begin(), order.end(), std::mt19937(11));
  std::vector<void*> blocks(kBlocks);
  for (auto _ : state) {
    const std::int64_t base = ResidentBytes();
    SlabAllocator slab;
    for (std::size_t i = 0; i < kBlocks; ++i) {
      blocks[i] = slab.Allocate(kBytes, 16);
      std::memset(blocks[i], 1, kBytes);
    }
    for (std::uint32_t k : slots) {
      slab.Deallocate(blocks[k], kBytes, 16);
      blocks[k] = slab.Allocate(kBytes, 16);
      std::memset(blocks[k], 2, kBytes);
    }
    const double peak_live = kBlocks * kBytes;
    state.counters["rss_per_live_steady"] =
        static_cast<double>(ResidentBytes() - base) / peak_live;
    const std::size_t slabs_before = slab.Stats().slabs;
    const std::size_t freed = kBlocks / 10 * 9;
    for (std::size_t i = 0; i < freed; ++i)
      slab.Deallocate(blocks[order[i]], kBytes, 16);
    slab.Trim();
    const double live = static_cast<double>((kBlocks - freed) * kBytes);
    const double rss = static_cast<double>(ResidentBytes() - base);
    state.counters["rss_per_live_after_trim"] = rss / live;
    state.counters["rss_per_peak_live_after_trim"] = rss / peak_live;
    state.counters["slabs_released_fraction"] =
        1.0 - static_cast<double>(slab.Stats().slabs) /
                  static_cast<double>(slabs_before);
  }
}
BENCHMARK(BM_SlabMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace allocmark::bench
