// Randomized differential test: long random operation sequences on each
// allocator, checked after every step against a reference model (the set of
// live blocks with their sizes, alignments and contents). Built twice: plain
// and with ASan+UBSan (allocator_sanitizer_tests), where a stray write or
// an overflow in the allocators' own arithmetic stops the test.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "allocators/arena.h"
#include "allocators/object_pool.h"
#include "allocators/size_classes.h"
#include "allocators/slab.h"
#include "allocators/slab_mt.h"
#include "tests/allocators/test_support.h"

namespace allocmark {
namespace {

using testing::CountingResource;
using testing::IsAligned;
using testing::ShadowMap;

struct Live {
  void* p;
  std::size_t size;
  std::size_t align;
  std::uint8_t tag;
};

void Fill(const Live& b) { std::memset(b.p, b.tag, b.size); }
bool Intact(const Live& b) {
  const auto* bytes = static_cast<const std::uint8_t*>(b.p);
  for (std::size_t i = 0; i < b.size; ++i)
    if (bytes[i] != b.tag) return false;
  return true;
}

std::size_t RandomSize(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0:
      return rng() % 8;
    case 1:
      return 4096 + rng() % 20000;  // over the classes
    default:
      return 1 + rng() % 600;
  }
}
std::size_t RandomAlign(std::mt19937_64& rng) {
  return rng() % 4 == 0 ? std::size_t{1} << (rng() % 13) : 16;
}

// Model bytes the slab charges for a block: its class size, or the request.
std::size_t ChargedBytes(std::size_t size, std::size_t align) {
  const int c = ClassFor(size, align);
  return c >= 0 ? kClassBytes[static_cast<std::size_t>(c)] : size;
}

template <class Slab>
void RunSlabSequence(std::uint64_t seed, bool check_stats) {
  CountingResource upstream;
  std::mt19937_64 rng(seed);
  ShadowMap shadow;
  std::vector<Live> live;
  {
    Slab slab;
    for (int step = 0; step < 20000; ++step) {
      const unsigned op = static_cast<unsigned>(rng() % 100);
      if (op < 52 || live.empty()) {
        Live b{nullptr, RandomSize(rng), RandomAlign(rng),
               static_cast<std::uint8_t>(rng())};
        b.p = slab.Allocate(b.size, b.align);
        ASSERT_NE(b.p, nullptr);
        ASSERT_TRUE(IsAligned(b.p, b.align)) << "step " << step;
        ASSERT_TRUE(shadow.Insert(b.p, std::max<std::size_t>(b.size, 1)))
            << "overlap at step " << step;
        Fill(b);
        live.push_back(b);
      } else if (op < 99) {
        const std::size_t k = rng() % live.size();
        ASSERT_TRUE(Intact(live[k]))
            << "block changed while live, step " << step;
        shadow.Erase(live[k].p);
        slab.Deallocate(live[k].p, live[k].size, live[k].align);
        live[k] = live.back();
        live.pop_back();
      } else {
        slab.Trim();
      }
      if (check_stats && step % 1000 == 0) {
        const SlabStats stats = slab.Stats();
        std::size_t bytes = 0;
        for (const Live& b : live) bytes += ChargedBytes(b.size, b.align);
        ASSERT_EQ(stats.live_blocks, live.size());
        ASSERT_EQ(stats.live_bytes, bytes);
      }
    }
    for (const Live& b : live) {
      ASSERT_TRUE(Intact(b));
      slab.Deallocate(b.p, b.size, b.align);
    }
    slab.Trim();
    if (check_stats) {
      ASSERT_EQ(slab.Stats().live_blocks, 0u);
    }
  }
}

class SeededTest : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(SeededTest, SlabAllocatorMatchesModel) {
  RunSlabSequence<SlabAllocator>(GetParam(), true);
}

TEST_P(SeededTest, ConcurrentSlabOnOneThreadMatchesModel) {
  RunSlabSequence<ConcurrentSlabAllocator>(GetParam(), false);
}

TEST_P(SeededTest, ObjectPoolMatchesModel) {
  struct Item {
    std::uint64_t words[5];
  };
  std::mt19937_64 rng(GetParam());
  ObjectPool<Item> pool;
  ShadowMap shadow;
  std::vector<Live> live;
  for (int step = 0; step < 20000; ++step) {
    if (rng() % 100 < 55 || live.empty()) {
      Live b{pool.Allocate(), sizeof(Item), alignof(Item),
             static_cast<std::uint8_t>(rng())};
      ASSERT_NE(b.p, nullptr);
      ASSERT_TRUE(shadow.Insert(b.p, b.size));
      Fill(b);
      live.push_back(b);
    } else {
      const std::size_t k = rng() % live.size();
      ASSERT_TRUE(Intact(live[k]));
      shadow.Erase(live[k].p);
      pool.Deallocate(live[k].p);
      live[k] = live.back();
      live.pop_back();
    }
    if (step % 4999 == 0) pool.Trim();
  }
  ASSERT_EQ(pool.Stats().live_blocks, live.size());
}

TEST_P(SeededTest, ArenaMatchesModel) {
  std::mt19937_64 rng(GetParam());
  CountingResource upstream;
  Arena arena(&upstream, 4096, 1 << 16);
  struct Frame {
    Arena::Marker marker;
    std::size_t live_count;
  };
  std::vector<Frame> marks;
  std::vector<Live> live;
  ShadowMap shadow;
  auto drop_to = [&](std::size_t count) {
    while (live.size() > count) {
      EXPECT_TRUE(Intact(live.back()));
      shadow.Erase(live.back().p);
      live.pop_back();
    }
  };
  for (int step = 0; step < 20000; ++step) {
    const unsigned op = static_cast<unsigned>(rng() % 1000);
    if (op < 960) {
      Live b{nullptr, RandomSize(rng), RandomAlign(rng),
             static_cast<std::uint8_t>(rng())};
      b.p = arena.Allocate(b.size, b.align);
      ASSERT_NE(b.p, nullptr);
      ASSERT_TRUE(IsAligned(b.p, b.align));
      // A size-0 block may share its address with a neighbour: only the
      // pointer is checked.
      if (b.size == 0) continue;
      ASSERT_TRUE(shadow.Insert(b.p, b.size)) << "overlap at step " << step;
      Fill(b);
      live.push_back(b);
    } else if (op < 980) {
      marks.push_back({arena.Mark(), live.size()});
    } else if (op < 995) {
      if (!marks.empty()) {
        const std::size_t k = rng() % marks.size();
        drop_to(marks[k].live_count);  // checks contents before they die
        arena.Rewind(marks[k].marker);
        marks.resize(k + 1);  // markers after k are no longer valid
      }
    } else {
      drop_to(0);
      arena.Reset();
      marks.clear();
    }
    std::size_t requested = 0;
    for (const Live& b : live) requested += b.size;
    const ArenaStats stats = arena.Stats();
    ASSERT_GE(stats.used_bytes, requested) << "step " << step;
    ASSERT_EQ(stats.reserved_bytes, upstream.live_bytes);
  }
  for (const Live& b : live) ASSERT_TRUE(Intact(b));
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeededTest, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace allocmark
