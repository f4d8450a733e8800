// Unit tests of Arena, ArenaAllocator and the arena as a pmr resource.
#include "allocators/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <new>
#include <random>
#include <vector>

#include "allocators/arena_allocator.h"
#include "allocators/pmr_adapter.h"
#include "tests/allocators/test_support.h"

namespace allocmark {
namespace {

using testing::CountingResource;
using testing::IsAligned;
using testing::ShadowMap;

TEST(ArenaTest, EveryPowerOfTwoAlignmentUpTo4KiB) {
  Arena arena;
  ShadowMap shadow;
  for (std::size_t align = 1; align <= 4096; align *= 2) {
    for (std::size_t size : {1, 7, 8, 24, 100, 4096, 5000}) {
      void* p = arena.Allocate(size, align);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(IsAligned(p, align)) << "align " << align << " size " << size;
      EXPECT_TRUE(shadow.Insert(p, size));
      std::memset(p, 0xab, size);
    }
  }
}

TEST(ArenaTest, AlignmentAboveChunkSizeUsesALargeBlock) {
  Arena arena(std::pmr::new_delete_resource(), 4096);
  void* p = arena.Allocate(10, 64 * 1024);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(IsAligned(p, 64 * 1024));
  EXPECT_EQ(arena.Stats().large_blocks, 1u);
}

TEST(ArenaTest, NoOverlapAcrossManyChunks) {
  Arena arena(std::pmr::new_delete_resource(), 4096);
  ShadowMap shadow;
  std::mt19937 rng(1);
  for (int i = 0; i < 20000; ++i) {
    std::size_t size = 1 + rng() % 300;
    std::size_t align = std::size_t{1} << (rng() % 7);
    void* p = arena.Allocate(size, align);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(IsAligned(p, align));
    ASSERT_TRUE(shadow.Insert(p, size)) << "overlap at allocation " << i;
  }
  EXPECT_GT(arena.Stats().chunks, 3u);
}

TEST(ArenaTest, ResetKeepsChunksAndReusesThem) {
  CountingResource upstream;
  Arena arena(&upstream, 4096);
  std::vector<void*> first;
  for (int i = 0; i < 1000; ++i) first.push_back(arena.Allocate(48, 16));
  const ArenaStats before = arena.Stats();
  const std::size_t calls = upstream.allocations;
  arena.Reset();
  EXPECT_EQ(arena.Stats().used_bytes, 0u);
  EXPECT_EQ(arena.Stats().chunks, before.chunks);
  EXPECT_EQ(upstream.deallocations, 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(arena.Allocate(48, 16), first[i]);
  EXPECT_EQ(upstream.allocations, calls)
      << "a second frame called the upstream";
  EXPECT_EQ(arena.Stats().reserved_bytes, before.reserved_bytes);
}

TEST(ArenaTest, ChunksGrowGeometrically) {
  CountingResource upstream;
  Arena arena(&upstream, 4096, 1 << 20);
  for (int i = 0; i < 100000; ++i) ASSERT_NE(arena.Allocate(16, 16), nullptr);
  // 1.6 MB in chunks doubling from 4 KiB (capped at 1 MiB): a dozen chunks,
  // not the ~400 of fixed 4 KiB chunks.
  EXPECT_LE(arena.Stats().chunks, 12u);
  EXPECT_EQ(upstream.allocations, arena.Stats().chunks);
}

TEST(ArenaTest, ExactStatistics) {
  CountingResource upstream;
  Arena arena(&upstream, 8192);
  EXPECT_EQ(arena.Stats().used_bytes, 0u);
  EXPECT_EQ(arena.Stats().reserved_bytes, 0u);
  for (int i = 0; i < 10; ++i) arena.Allocate(32, 16);
  ArenaStats stats = arena.Stats();
  EXPECT_EQ(stats.used_bytes, 320u);
  EXPECT_EQ(stats.chunks, 1u);
  EXPECT_EQ(stats.reserved_bytes, 8192u);
  EXPECT_EQ(stats.reserved_bytes, upstream.live_bytes);
  arena.Allocate(1, 1);
  arena.Allocate(16, 16);  // 15 bytes of padding after the 1-byte block
  EXPECT_EQ(arena.Stats().used_bytes, 320u + 32u);
  void* large = arena.Allocate(10000, 8);  // over a quarter of 16 KiB
  ASSERT_NE(large, nullptr);
  stats = arena.Stats();
  EXPECT_EQ(stats.large_blocks, 1u);
  EXPECT_EQ(stats.used_bytes, 352u + 10000u);
  EXPECT_EQ(stats.reserved_bytes, upstream.live_bytes);
  arena.Reset();
  stats = arena.Stats();
  EXPECT_EQ(stats.used_bytes, 0u);
  EXPECT_EQ(stats.large_blocks, 0u);
  EXPECT_EQ(stats.reserved_bytes, 8192u);
  arena.Release();
  EXPECT_EQ(upstream.live_bytes, 0u);
  EXPECT_EQ(arena.Stats().chunks, 0u);
}

TEST(ArenaTest, UsedBytesSpanChunks) {
  Arena arena(std::pmr::new_delete_resource(), 4096);
  std::size_t total = 0;
  for (int i = 0; i < 5000; ++i) {
    arena.Allocate(64, 64);
    total += 64;
  }
  EXPECT_EQ(arena.Stats().used_bytes, total);
}

TEST(ArenaTest, MarkersRewind) {
  CountingResource upstream;
  Arena arena(&upstream, 4096);
  void* a = arena.Allocate(100, 8);
  const Arena::Marker mark = arena.Mark();
  const std::size_t used = arena.Stats().used_bytes;
  std::vector<void*> after;
  for (int i = 0; i < 500; ++i) after.push_back(arena.Allocate(64, 8));
  void* large = arena.Allocate(100000, 8);
  ASSERT_NE(large, nullptr);
  const std::size_t live_before_rewind = upstream.live_bytes;
  arena.Rewind(mark);
  EXPECT_EQ(arena.Stats().used_bytes, used);
  EXPECT_EQ(arena.Stats().large_blocks, 0u);
  EXPECT_LT(upstream.live_bytes, live_before_rewind) << "large block kept";
  // The same requests get the same blocks again; the first one survives.
  for (int i = 0; i < 500; ++i) EXPECT_EQ(arena.Allocate(64, 8), after[i]);
  EXPECT_NE(a, nullptr);
  // Nested markers.
  const Arena::Marker outer = arena.Mark();
  arena.Allocate(10, 8);
  const Arena::Marker inner = arena.Mark();
  void* x = arena.Allocate(10, 8);
  arena.Rewind(inner);
  EXPECT_EQ(arena.Allocate(10, 8), x);
  arena.Rewind(outer);
  arena.Reset();
  EXPECT_EQ(arena.Stats().used_bytes, 0u);
}

TEST(ArenaTest, ZeroSizeGivesNonNull) {
  Arena arena;
  EXPECT_NE(arena.Allocate(0, 1), nullptr);
  EXPECT_NE(arena.Allocate(0, 16), nullptr);
}

TEST(ArenaTest, ExhaustedUpstreamGivesNullptr) {
  CountingResource upstream(64 * 1024);
  Arena arena(&upstream, 16 * 1024);
  std::size_t served = 0;
  for (int i = 0; i < 100000; ++i) {
    void* p = arena.Allocate(256, 16);
    if (p == nullptr) break;
    std::memset(p, 1, 256);
    served += 256;
  }
  EXPECT_GT(served, 0u);
  EXPECT_LE(served, 64u * 1024);
  EXPECT_EQ(arena.Allocate(256, 16), nullptr);
  EXPECT_EQ(arena.Allocate(1 << 20, 16), nullptr);
}

// Impossible requests reach a limited upstream (which throws bad_alloc as
// operator new does; under ASan operator new aborts instead of throwing).
TEST(ArenaTest, OverflowingRequestsGiveNullptr) {
  CountingResource upstream(1 << 30);
  Arena arena(&upstream);
  arena.Allocate(8, 8);  // a chunk exists: the fast path sees the request
  EXPECT_EQ(arena.Allocate(SIZE_MAX, 1), nullptr);
  EXPECT_EQ(arena.Allocate(SIZE_MAX - 100, 4096), nullptr);
  EXPECT_EQ(arena.Allocate(SIZE_MAX / 2, 16), nullptr);
  EXPECT_EQ(arena.Allocate(SIZE_MAX - 5000, 1), nullptr);
}

TEST(ArenaAllocatorTest, VectorAndOverflow) {
  CountingResource upstream(1 << 30);
  Arena arena(&upstream);
  std::vector<int, ArenaAllocator<int>> v{ArenaAllocator<int>(arena)};
  for (int i = 0; i < 10000; ++i) v.push_back(i);
  EXPECT_EQ(v[9999], 9999);
  ArenaAllocator<std::uint64_t> alloc(arena);
  EXPECT_THROW(alloc.allocate(SIZE_MAX / 4), std::bad_array_new_length);
  EXPECT_THROW(alloc.allocate(SIZE_MAX / 16), std::bad_alloc);
  EXPECT_TRUE(ArenaAllocator<char>(arena) == alloc);
  static_assert(sizeof(ArenaAllocator<int>) == sizeof(void*));
}

TEST(ArenaAllocatorTest, ExhaustionThrowsBadAlloc) {
  CountingResource upstream(8192);
  Arena arena(&upstream, 4096);
  ArenaAllocator<char> alloc(arena);
  EXPECT_THROW(alloc.allocate(1 << 20), std::bad_alloc);
}

TEST(ArenaPmrTest, PmrContainers) {
  CountingResource upstream(1 << 30);
  Arena arena(&upstream);
  PmrAdapter<Arena> resource(arena);
  std::pmr::vector<std::pmr::string> strings(&resource);
  for (int i = 0; i < 1000; ++i)
    strings.emplace_back(
        std::pmr::string(100, static_cast<char>('a' + i % 26)));
  EXPECT_EQ(strings[27][0], 'b');
  EXPECT_THROW((void)resource.allocate(SIZE_MAX / 2, 8), std::bad_alloc);
  PmrAdapter<Arena> same(arena);
  EXPECT_TRUE(resource.is_equal(same));
  EXPECT_FALSE(resource.is_equal(*std::pmr::new_delete_resource()));
}

}  // namespace
}  // namespace allocmark
