// Cross-thread frees, the xmalloc pattern with 2 threads: the benchmark
// thread allocates blocks of 16-128 bytes and passes them through a
// single-producer/single-consumer ring to a second thread, which frees them
// with its own heap. Items are blocks; real time, because two threads work.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "allocators/heap.h"
#include "allocators/own_heaps.h"
#include "bench/bench_support.h"

namespace allocmark::bench {
namespace {

// Single producer, single consumer; each side caches the other's index.
class Ring {
 public:
  static constexpr std::uint64_t kSlots = 1024;

  void Push(void* p) {
    while (tail_ - head_seen_ >= kSlots) {
      head_seen_ = head_.load(std::memory_order_acquire);
      if (tail_ - head_seen_ >= kSlots) std::this_thread::yield();
    }
    slots_[tail_ % kSlots] = p;
    tail_.store(tail_.load(std::memory_order_relaxed) + 1,
                std::memory_order_release);
  }
  // nullptr once Close() was called and the ring is empty.
  void* Pop() {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    while (head == tail_seen_) {
      tail_seen_ = tail_.load(std::memory_order_acquire);
      if (head != tail_seen_) break;
      if (closed_.load(std::memory_order_acquire)) {
        tail_seen_ = tail_.load(std::memory_order_acquire);
        if (head == tail_seen_) return nullptr;
        break;
      }
      std::this_thread::yield();
    }
    void* p = slots_[head % kSlots];
    head_.store(head + 1, std::memory_order_release);
    return p;
  }
  void Close() { closed_.store(true, std::memory_order_release); }

 private:
  void* slots_[kSlots];
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  std::uint64_t head_seen_ = 0;  // producer's copy
  alignas(64) std::atomic<std::uint64_t> head_{0};
  std::uint64_t tail_seen_ = 0;  // consumer's copy
  alignas(64) std::atomic<bool> closed_{false};
};

template <Heap H>
void BM_Xmalloc(benchmark::State& state) {
  static_assert(AcceptsCrossThreadFree<H>);
  const auto sizes = UniformSizes(4096, 16, 128);
  auto* ring = new Ring();
  std::thread consumer([ring, &sizes] {
    H heap;
    std::size_t i = 0;
    while (void* p = ring->Pop()) heap.Deallocate(p, sizes[i++ & 4095], 16);
  });
  H heap;
  std::size_t i = 0;
  for (auto _ : state) {
    for (int k = 0; k < 256; ++k) {
      const std::uint32_t size = sizes[i++ & 4095];
      void* p = heap.Allocate(size, 16);
      std::memcpy(p, &i, sizeof i);
      ring->Push(p);
    }
  }
  ring->Close();
  consumer.join();
  delete ring;
  state.SetItemsProcessed(state.iterations() * 256);
}
BENCHMARK_TEMPLATE(BM_Xmalloc, SlabMtHeap)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Xmalloc, MallocHeap)->UseRealTime();

}  // namespace
}  // namespace allocmark::bench
