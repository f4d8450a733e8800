// Unit tests of SlabAllocator, ObjectPool, ConcurrentSlabAllocator (used
// from one thread here; tsan_test.cc crosses threads) and their heaps.
#include "allocators/slab.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <random>
#include <string>
#include <vector>

#include "allocators/heaps.h"
#include "allocators/object_pool.h"
#include "allocators/pmr_adapter.h"
#include "allocators/size_classes.h"
#include "allocators/slab_mt.h"
#include "tests/allocators/test_support.h"

namespace allocmark {
namespace {

using testing::CountingResource;
using testing::IsAligned;
using testing::ShadowMap;

TEST(SizeClassesTest, TablesPickTheSmallestFittingClass) {
  for (std::size_t size = 0; size <= kMaxSmallBytes; ++size) {
    const std::size_t c8 = kClassBytes[kClassOfSize8[size]];
    const std::size_t c16 = kClassBytes[kClassOfSize16[size]];
    ASSERT_GE(c8, size);
    ASSERT_GE(c16, size);
    ASSERT_EQ(c16 % 16, 0u);
    ASSERT_LE(c8, std::max<std::size_t>(8, size + size / 4 + 16));
  }
}

TEST(SlabTest, EveryPowerOfTwoAlignmentUpTo4KiB) {
  SlabAllocator slab;
  ShadowMap shadow;
  struct Block {
    void* p;
    std::size_t size, align;
  };
  std::vector<Block> blocks;
  for (std::size_t align = 1; align <= 4096; align *= 2) {
    for (std::size_t size : {1, 8, 9, 24, 40, 100, 1000, 4096, 5000, 70000}) {
      for (int i = 0; i < 3; ++i) {
        void* p = slab.Allocate(size, align);
        ASSERT_NE(p, nullptr);
        EXPECT_TRUE(IsAligned(p, align))
            << "align " << align << " size " << size;
        EXPECT_TRUE(shadow.Insert(p, size));
        std::memset(p, 0x5a, size);
        blocks.push_back({p, size, align});
      }
    }
  }
  for (const Block& b : blocks) slab.Deallocate(b.p, b.size, b.align);
  EXPECT_EQ(slab.Stats().live_blocks, 0u);
}

TEST(SlabTest, ReuseAfterFreeIsLifo) {
  SlabAllocator slab;
  void* a = slab.Allocate(32, 16);
  void* b = slab.Allocate(32, 16);
  slab.Deallocate(a, 32, 16);
  EXPECT_EQ(slab.Allocate(32, 16), a);
  slab.Deallocate(b, 32, 16);
  slab.Deallocate(a, 32, 16);
  EXPECT_EQ(slab.Allocate(30, 8), a) << "same class, same list";
  EXPECT_EQ(slab.Allocate(17, 16), b);
}

TEST(SlabTest, NoOverlapUnderRandomChurnOverManySlabs) {
  SlabAllocator slab;
  ShadowMap shadow;
  std::mt19937 rng(7);
  struct Block {
    void* p;
    std::size_t size;
  };
  std::vector<Block> live;
  for (int i = 0; i < 200000; ++i) {
    if (live.empty() || rng() % 100 < 55) {
      std::size_t size = 1 + rng() % 600;
      void* p = slab.Allocate(size, 16);
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(IsAligned(p, 16));
      ASSERT_TRUE(shadow.Insert(p, size)) << "overlap at operation " << i;
      live.push_back({p, size});
    } else {
      std::size_t k = rng() % live.size();
      shadow.Erase(live[k].p);
      slab.Deallocate(live[k].p, live[k].size, 16);
      live[k] = live.back();
      live.pop_back();
    }
  }
  EXPECT_EQ(slab.Stats().live_blocks, live.size());
  EXPECT_GT(slab.Stats().slabs, 10u);
}

TEST(SlabTest, ExactStatistics) {
  CountingResource upstream;
  SlabAllocator slab(&upstream);
  std::vector<void*> blocks;
  for (int i = 0; i < 3000; ++i) blocks.push_back(slab.Allocate(40, 8));  // 48
  void* large = slab.Allocate(10000, 16);
  SlabStats stats = slab.Stats();
  EXPECT_EQ(stats.live_blocks, 3001u);
  EXPECT_EQ(stats.live_bytes, 3000u * 48 + 10000);
  EXPECT_EQ(stats.large_blocks, 1u);
  const std::size_t per_slab = kSlabUsableBytes / 48;
  const std::size_t slabs = (3000 + per_slab - 1) / per_slab;
  EXPECT_EQ(stats.slabs, slabs);
  EXPECT_EQ(stats.reserved_bytes, slabs * kSlabBytes + 10000);
  EXPECT_EQ(stats.reserved_bytes, upstream.live_bytes);
  for (int i = 0; i < 1000; ++i) slab.Deallocate(blocks[i], 40, 8);
  slab.Deallocate(large, 10000, 16);
  stats = slab.Stats();
  EXPECT_EQ(stats.live_blocks, 2000u);
  EXPECT_EQ(stats.live_bytes, 2000u * 48);
  EXPECT_EQ(stats.large_blocks, 0u);
}

TEST(SlabTest, TrimReturnsFullyFreeSlabsOnly) {
  CountingResource upstream;
  SlabAllocator slab(&upstream);
  const std::size_t per_slab = kSlabUsableBytes / 64;
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < 10 * per_slab; ++i)
    blocks.push_back(slab.Allocate(64, 16));
  EXPECT_EQ(slab.Stats().slabs, 10u);
  EXPECT_EQ(slab.Trim(), 0u);
  // Free slabs 0, 2, 4, 6, 8 entirely (in shuffled order) and one block of
  // each other slab.
  std::vector<void*> to_free;
  for (std::size_t s = 0; s < 10; ++s)
    for (std::size_t i = 0; i < (s % 2 == 0 ? per_slab : 1); ++i)
      to_free.push_back(blocks[s * per_slab + i]);
  std::shuffle(to_free.begin(), to_free.end(), std::mt19937(3));
  for (void* p : to_free) slab.Deallocate(p, 64, 16);
  EXPECT_EQ(slab.Trim(), 5 * kSlabBytes);
  EXPECT_EQ(upstream.live_bytes, 5 * kSlabBytes);
  EXPECT_EQ(slab.Stats().slabs, 5u);
  EXPECT_EQ(slab.Stats().live_blocks, 5 * (per_slab - 1));
  // The free blocks that remain are still served, then new slabs.
  ShadowMap shadow;
  for (std::size_t s = 1; s < 10; s += 2)
    for (std::size_t i = 1; i < per_slab; ++i)
      ASSERT_TRUE(shadow.Insert(blocks[s * per_slab + i], 64));
  for (std::size_t i = 0; i < 3 * per_slab; ++i) {
    void* p = slab.Allocate(64, 16);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(shadow.Insert(p, 64));
  }
}

TEST(SlabTest, TrimAfterEverythingFreedReturnsAll) {
  CountingResource upstream;
  {
    SlabAllocator slab(&upstream);
    std::vector<std::pair<void*, std::size_t>> blocks;
    std::mt19937 rng(5);
    for (int i = 0; i < 50000; ++i) {
      std::size_t size = 1 + rng() % 4096;
      blocks.emplace_back(slab.Allocate(size, 8), size);
    }
    std::shuffle(blocks.begin(), blocks.end(), rng);
    for (auto [p, size] : blocks) slab.Deallocate(p, size, 8);
    slab.Trim();
    EXPECT_EQ(upstream.live_bytes, 0u);
    EXPECT_EQ(slab.Stats().slabs, 0u);
    EXPECT_NE(slab.Allocate(100, 8), nullptr) << "usable after a full trim";
  }
  EXPECT_EQ(upstream.live_bytes, 0u) << "destructor returns every slab";
}

TEST(SlabTest, ExhaustedUpstreamGivesNullptr) {
  CountingResource upstream(2 * kSlabBytes);
  SlabAllocator slab(&upstream);
  std::size_t served = 0;
  while (slab.Allocate(1000, 8) != nullptr) ++served;
  EXPECT_EQ(served, 2 * (kSlabUsableBytes / 1024));
  EXPECT_EQ(slab.Allocate(1000, 8), nullptr);
  EXPECT_EQ(slab.Allocate(1 << 20, 8), nullptr);
  EXPECT_EQ(slab.Allocate(8, 8), nullptr) << "a new class needs a new slab";
}

// Impossible requests reach a limited upstream (which throws bad_alloc as
// operator new does; under ASan operator new aborts instead of throwing).
TEST(SlabTest, ImpossibleRequestsGiveNullptr) {
  CountingResource upstream(1 << 30);
  SlabAllocator slab(&upstream);
  EXPECT_EQ(slab.Allocate(SIZE_MAX, 8), nullptr);
  EXPECT_EQ(slab.Allocate(SIZE_MAX - 5000, 64), nullptr);
  EXPECT_EQ(slab.Allocate(SIZE_MAX / 2, 4096), nullptr);
  EXPECT_EQ(slab.Allocate(16, 24), nullptr) << "alignment not a power of two";
}

TEST(SlabPmrTest, PmrContainers) {
  CountingResource upstream(1 << 30);
  SlabAllocator slab(&upstream);
  PmrAdapter<SlabAllocator> resource(slab);
  {
    std::pmr::vector<std::pmr::string> strings(&resource);
    for (int i = 0; i < 1000; ++i)
      strings.emplace_back(std::pmr::string(50 + i % 200, 'x'));
    EXPECT_EQ(strings[999].size(), 50u + 999 % 200);
  }
  EXPECT_EQ(slab.Stats().live_blocks, 0u);
  EXPECT_THROW((void)resource.allocate(SIZE_MAX / 2, 8), std::bad_alloc);
}

struct Widget {
  std::uint64_t a, b, c;
  explicit Widget(std::uint64_t x) : a(x), b(x + 1), c(x + 2) {}
};

TEST(ObjectPoolTest, NewDeleteReuseAndTrim) {
  CountingResource upstream;
  ObjectPool<Widget> pool(&upstream);
  static_assert(ObjectPool<Widget>::kBlockBytes == 24);
  ShadowMap shadow;
  std::vector<Widget*> widgets;
  for (std::uint64_t i = 0; i < 10000; ++i) {
    Widget* w = pool.New(i);
    ASSERT_TRUE(shadow.Insert(w, sizeof(Widget)));
    widgets.push_back(w);
  }
  for (std::uint64_t i = 0; i < 10000; ++i) ASSERT_EQ(widgets[i]->c, i + 2);
  EXPECT_EQ(pool.Stats().live_blocks, 10000u);
  Widget* last = widgets.back();
  pool.Delete(last);
  EXPECT_EQ(pool.New(7), last);
  for (Widget* w : widgets) pool.Delete(w);
  EXPECT_EQ(pool.Stats().live_blocks, 0u);
  pool.Trim();
  EXPECT_EQ(upstream.live_bytes, 0u);
}

TEST(ObjectPoolTest, OverAlignedType) {
  struct alignas(256) Big {
    char bytes[300];
  };
  ObjectPool<Big> pool;
  static_assert(ObjectPool<Big>::kBlockBytes == 512);
  for (int i = 0; i < 300; ++i) EXPECT_TRUE(IsAligned(pool.Allocate(), 256));
}

TEST(ConcurrentSlabTest, SingleThreadBehavesLikeTheSlab) {
  ConcurrentSlabAllocator slab;
  ShadowMap shadow;
  std::vector<std::pair<void*, std::size_t>> blocks;
  for (std::size_t align = 1; align <= 4096; align *= 2)
    for (std::size_t size : {1, 16, 100, 4000, 9000}) {
      void* p = slab.Allocate(size, align);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(IsAligned(p, align));
      EXPECT_TRUE(shadow.Insert(p, size));
      slab.Deallocate(p, size, align);
      shadow.Erase(p);
    }
  EXPECT_EQ(slab.Stats().live_blocks, 0u);
}

TEST(ConcurrentSlabTest, FreeThroughAnotherAllocatorGoesToTheOwner) {
  ConcurrentSlabAllocator a;
  void* p;
  {
    ConcurrentSlabAllocator b;
    p = b.Allocate(64, 16);
    a.Deallocate(p, 64, 16);  // remote free into b's cache
  }  // b's cache is parked with p drained back onto its list
  ConcurrentSlabAllocator c;  // adopts a parked cache
  EXPECT_NE(c.Allocate(64, 16), nullptr);
}

TEST(HeapsTest, EveryKindDispatches) {
  for (const auto& [kind, name] : kHeapNames) {
    std::string seen;
    const bool built = WithHeap(kind, [&]<Heap H>() {
      H heap;
      void* p = heap.Allocate(24, 16);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(IsAligned(p, 16));
      heap.Deallocate(p, 24, 16);
      heap.Reset();
      seen = H::kName;
    });
    EXPECT_TRUE(built) << name;
    EXPECT_EQ(seen, name);
    EXPECT_EQ(HeapFromName(name), kind);
  }
  EXPECT_TRUE(AcceptsCrossThreadFree<SlabMtHeap>);
  EXPECT_FALSE(AcceptsCrossThreadFree<SlabHeap>);
  EXPECT_FALSE(AcceptsCrossThreadFree<PmrPoolHeap>);
}

}  // namespace
}  // namespace allocmark
