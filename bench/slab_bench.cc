// Slab micro-benchmarks beside std::pmr::unsynchronized_pool_resource and
// the process allocator, one fixed size per benchmark. Items are
// allocate+free pairs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "bench/bench_support.h"
#include "bench/fixed_size_impls.h"

namespace allocmark::bench {
namespace {

// Hot pair: allocate a 32-byte block and free it at once (the block stays
// in L1; this is the fast paths' cost and nothing else).
template <class Impl>
void BM_SlabPair(benchmark::State& state) {
  Impl impl;
  for (auto _ : state) {
    void* p = impl.Alloc();
    benchmark::DoNotOptimize(p);
    impl.Free(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_SlabPair, SlabFixed<32>);
BENCHMARK_TEMPLATE(BM_SlabPair, PoolFixed<32>);
BENCHMARK_TEMPLATE(BM_SlabPair, SlabMtFixed<32>);
BENCHMARK_TEMPLATE(BM_SlabPair, PmrPoolFixed<32>);
BENCHMARK_TEMPLATE(BM_SlabPair, MallocFixed<32>);

// Fixed-size churn: 10^4 live 64-byte blocks; each item frees a random one
// and allocates its replacement, writing its first word.
template <class Impl>
void BM_FixedChurn(benchmark::State& state) {
  constexpr std::uint32_t kLive = 10000;
  const auto slots = UniformIndices(1 << 16, kLive);
  Impl impl;
  std::vector<void*> live(kLive);
  for (auto& p : live) p = impl.Alloc();
  std::size_t i = 0;
  for (auto _ : state) {
    void*& slot = live[slots[i++ & 0xffff]];
    impl.Free(slot);
    slot = impl.Alloc();
    std::memcpy(slot, &i, sizeof i);
  }
  for (void* p : live) impl.Free(p);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_FixedChurn, SlabFixed<64>);
BENCHMARK_TEMPLATE(BM_FixedChurn, PoolFixed<64>);
BENCHMARK_TEMPLATE(BM_FixedChurn, PmrPoolFixed<64>);
BENCHMARK_TEMPLATE(BM_FixedChurn, MallocFixed<64>);

// Free order over many slabs: range(1) blocks of 64 B are allocated, then
// freed in LIFO order (range(0) = 0) or in a random order (1), and the next
// round allocates in whatever order the frees left. 10^4 blocks (640 KB, 3
// slabs) stay in this machine's 1 MiB L2; 10^5 (6.4 MB, 25 slabs) do not, so
// that random order also pays cache misses on the blocks themselves, as any
// allocator that links free blocks through them does (malloc beside it).
template <class Impl>
void BM_FreeOrder(benchmark::State& state) {
  const auto blocks_count = static_cast<std::size_t>(state.range(1));
  std::vector<std::uint32_t> order(blocks_count);
  std::iota(order.rbegin(), order.rend(), 0u);
  if (state.range(0) == 1)
    std::shuffle(order.begin(), order.end(), std::mt19937(9));
  Impl impl;
  std::vector<void*> blocks(blocks_count);
  for (auto _ : state) {
    for (auto& p : blocks) p = impl.Alloc();
    benchmark::DoNotOptimize(blocks.data());
    for (std::uint32_t k : order) impl.Free(blocks[k]);
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * blocks_count));
}
BENCHMARK_TEMPLATE(BM_FreeOrder, SlabFixed<64>)
    ->ArgsProduct({{0, 1}, {10000, 100000}});
BENCHMARK_TEMPLATE(BM_FreeOrder, MallocFixed<64>)
    ->ArgsProduct({{0, 1}, {10000, 100000}});

}  // namespace
}  // namespace allocmark::bench
