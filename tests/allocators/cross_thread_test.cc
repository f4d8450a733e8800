// Cross-thread frees on ConcurrentSlabAllocator, run under ThreadSanitizer
// (allocator_tsan_tests): blocks allocated on one thread are freed on
// another, in both directions, and after the allocating thread has ended.
// Every block carries a pattern that is checked before it is freed.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "allocators/own_heaps.h"
#include "allocators/pmr_adapter.h"
#include "allocators/slab_mt.h"

namespace allocmark {
namespace {

struct Block {
  void* p;
  std::size_t size;
  std::uint8_t tag;
};

// A blocking queue: the synchronisation a program would use to hand blocks
// over (it gives TSan the happens-before edge the allocator relies on).
class Channel {
 public:
  void Send(Block b) {
    {
      std::lock_guard lock(mutex_);
      blocks_.push_back(b);
    }
    ready_.notify_one();
  }
  void Close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }
  // Non-blocking: false when nothing is queued.
  bool TryReceive(Block& b) {
    std::lock_guard lock(mutex_);
    if (blocks_.empty()) return false;
    b = blocks_.front();
    blocks_.pop_front();
    return true;
  }
  // Blocks until a block arrives (true) or the channel is closed and empty.
  bool Receive(Block& b) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return closed_ || !blocks_.empty(); });
    if (blocks_.empty()) return false;
    b = blocks_.front();
    blocks_.pop_front();
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Block> blocks_;
  bool closed_ = false;
};

std::size_t SizeOf(std::uint32_t i) {
  return i % 50 == 0 ? 5000 + i % 3000 : 1 + (i * 37) % 700;
}

Block Make(ConcurrentSlabAllocator& a, std::uint32_t i) {
  Block b{nullptr, SizeOf(i), static_cast<std::uint8_t>(i)};
  b.p = a.Allocate(b.size, 16);
  EXPECT_NE(b.p, nullptr);
  std::memset(b.p, b.tag, b.size);
  return b;
}

bool Intact(const Block& b) {
  const auto* bytes = static_cast<const std::uint8_t*>(b.p);
  for (std::size_t i = 0; i < b.size; ++i)
    if (bytes[i] != b.tag) return false;
  return true;
}

TEST(CrossThreadTest, ProducerConsumerBothWays) {
  Channel to_b, to_a;
  constexpr std::uint32_t kBlocks = 20000;
  auto worker = [](Channel& out, Channel& in, std::uint32_t seed) {
    ConcurrentSlabAllocator heap;
    std::vector<Block> mine;
    for (std::uint32_t i = 0; i < kBlocks; ++i) {
      Block b = Make(heap, seed + i);
      if (i % 3 == 0)
        mine.push_back(b);  // freed locally later
      else
        out.Send(b);
      Block r;
      if (i % 2 == 0 && in.TryReceive(r)) {
        EXPECT_TRUE(Intact(r));
        heap.Deallocate(r.p, r.size, 16);
      }
    }
    out.Close();
    Block r;
    while (in.Receive(r)) {
      EXPECT_TRUE(Intact(r));
      heap.Deallocate(r.p, r.size, 16);
    }
    for (const Block& b : mine) {
      EXPECT_TRUE(Intact(b));
      heap.Deallocate(b.p, b.size, 16);
    }
  };
  std::thread a(worker, std::ref(to_b), std::ref(to_a), 0u);
  std::thread b(worker, std::ref(to_a), std::ref(to_b), 1000000u);
  a.join();
  b.join();
}

TEST(CrossThreadTest, ProducerEndsBeforeItsBlocksAreFreed) {
  std::vector<Block> handed_over;
  std::thread producer([&] {
    ConcurrentSlabAllocator heap;
    for (std::uint32_t i = 0; i < 20000; ++i)
      handed_over.push_back(Make(heap, i));
  });  // the producer's cache is parked when its allocator dies
  producer.join();
  std::thread consumer([&] {
    ConcurrentSlabAllocator heap;  // may adopt the parked cache itself
    for (const Block& b : handed_over) {
      EXPECT_TRUE(Intact(b));
      heap.Deallocate(b.p, b.size, 16);
    }
    for (std::uint32_t i = 0; i < 1000; ++i) {
      Block b = Make(heap, i);
      heap.Deallocate(b.p, b.size, 16);
    }
  });
  consumer.join();
}

TEST(CrossThreadTest, ManyThreadsThroughThisThreadAndPmr) {
  Channel shared;
  std::vector<std::thread> threads;
  for (std::uint32_t t = 0; t < 4; ++t) {
    threads.emplace_back([&shared, t] {
      auto& heap = ConcurrentSlabAllocator::ThisThread();
      PmrAdapter<ConcurrentSlabAllocator> resource(heap);
      std::pmr::vector<int> local(&resource);
      for (std::uint32_t i = 0; i < 5000; ++i) {
        local.push_back(static_cast<int>(i));
        shared.Send(Make(heap, t * 100000 + i));
        Block r;
        if (i % 2 == 1 && shared.TryReceive(r)) {
          EXPECT_TRUE(Intact(r));
          heap.Deallocate(r.p, r.size, 16);
        }
      }
      EXPECT_EQ(local[4999], 4999);
    });
  }
  for (auto& th : threads) th.join();
  shared.Close();
  Block r;
  SlabMtHeap heap;
  while (shared.Receive(r)) {
    EXPECT_TRUE(Intact(r));
    heap.Deallocate(r.p, r.size, 16);
  }
}

}  // namespace
}  // namespace allocmark
