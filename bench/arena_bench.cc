// Arena micro-benchmarks: warm allocation, Reset, and whole frames beside
// std::pmr::monotonic_buffer_resource and the process allocator.
//
// A frame is kFrameObjects requests of 8-64 bytes (the same trace for every
// allocator), each block written once, then the frame's memory is given
// back: Reset() for the arena, release() for the pmr resource, free() of
// every block for malloc. Items are allocations.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory_resource>
#include <vector>

#include "allocators/arena.h"
#include "bench/bench_support.h"

namespace allocmark::bench {
namespace {

constexpr std::size_t kFrameObjects = 100000;

void Touch(void* p, std::uint64_t value) { std::memcpy(p, &value, 8); }

// Warm arena, 8-64 B, align 8: the fast path in a loop. Every 4096
// allocations the arena is Reset (included in the time).
void BM_ArenaAllocate(benchmark::State& state) {
  const auto sizes = UniformSizes(4096, 8, 64);
  Arena arena;
  for (std::uint32_t s : sizes) arena.Allocate(s, 8);
  arena.Reset();
  for (auto _ : state) {
    for (std::uint32_t s : sizes)
      benchmark::DoNotOptimize(arena.Allocate(s, 8));
    arena.Reset();
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * sizes.size()));
}
BENCHMARK(BM_ArenaAllocate);

// Reset after range(0) objects, timed alone (manual time: one clock pair).
void BM_ArenaReset(benchmark::State& state) {
  const auto objects = static_cast<std::size_t>(state.range(0));
  Arena arena;
  for (auto _ : state) {
    for (std::size_t i = 0; i < objects; ++i)
      benchmark::DoNotOptimize(arena.Allocate(32, 8));
    const auto start = std::chrono::steady_clock::now();
    arena.Reset();
    benchmark::ClobberMemory();
    const auto stop = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
  }
}
// Fixed iterations: manual time counts only Reset, so the untimed filling
// would otherwise run until Reset alone adds up to the minimum time.
BENCHMARK(BM_ArenaReset)
    ->Arg(1000)
    ->Arg(100000)
    ->Arg(1000000)
    ->Iterations(200)
    ->UseManualTime();

const std::vector<std::uint32_t>& FrameSizes() {
  static const auto sizes = UniformSizes(kFrameObjects, 8, 64, 1234);
  return sizes;
}

template <class Allocate>
void RunFrame(Allocate&& allocate) {
  std::uint64_t i = 0;
  for (std::uint32_t s : FrameSizes()) {
    void* p = allocate(s);
    Touch(p, i++);
    benchmark::DoNotOptimize(p);
  }
}

void BM_FrameArena(benchmark::State& state) {
  Arena arena;
  for (auto _ : state) {
    RunFrame([&](std::size_t s) { return arena.Allocate(s, 8); });
    arena.Reset();
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * kFrameObjects));
}
BENCHMARK(BM_FrameArena);

// The standard resource as programs use it: release() returns its chunks to
// the upstream, and the next frame gets them again.
void BM_FramePmrMonotonic(benchmark::State& state) {
  std::pmr::monotonic_buffer_resource resource(std::pmr::new_delete_resource());
  for (auto _ : state) {
    RunFrame([&](std::size_t s) { return resource.allocate(s, 8); });
    resource.release();
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * kFrameObjects));
}
BENCHMARK(BM_FramePmrMonotonic);

// Its best case: an initial buffer big enough for the whole frame, so
// release() only rewinds and the upstream is never called.
void BM_FramePmrMonotonicPresized(benchmark::State& state) {
  std::vector<std::byte> buffer(kFrameObjects * 72);
  std::pmr::monotonic_buffer_resource resource(
      buffer.data(), buffer.size(), std::pmr::null_memory_resource());
  for (auto _ : state) {
    RunFrame([&](std::size_t s) { return resource.allocate(s, 8); });
    resource.release();
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * kFrameObjects));
}
BENCHMARK(BM_FramePmrMonotonicPresized);

// The process allocator, freeing each object at the end of the frame.
void BM_FrameMalloc(benchmark::State& state) {
  std::vector<void*> blocks(kFrameObjects);
  for (auto _ : state) {
    std::size_t n = 0;
    RunFrame([&](std::size_t s) { return blocks[n++] = std::malloc(s); });
    for (void* p : blocks) std::free(p);
  }
  state.SetItemsProcessed(
      static_cast<std::int64_t>(state.iterations() * kFrameObjects));
}
BENCHMARK(BM_FrameMalloc);

}  // namespace
}  // namespace allocmark::bench
