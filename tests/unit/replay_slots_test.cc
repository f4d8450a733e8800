// SlotPlanner (workloads/replay_calls.h) on generated traces: no two live
// blocks share a slot; a slot passes to another thread only `lag` calls after
// its release, and the grant says so and names the released block; the slots
// stay within peak live blocks + lag, and a single thread takes exactly its
// peak.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "workloads/replay_calls.h"

namespace allocmark::replay {
namespace {

struct Freed {
  std::uint32_t thread;
  std::uint64_t number;
  std::uint32_t block;
};

// Plays `calls` random calls of `threads` threads (allocations, releases of
// any thread's live block, an occasional realloc) through a planner and
// checks every grant against a model of the slots. Returns {slots, peak}.
std::pair<std::uint64_t, std::uint64_t> Play(std::uint32_t threads,
                                             std::uint64_t lag,
                                             std::uint64_t calls,
                                             std::uint32_t seed) {
  SlotPlanner planner(threads, lag);
  std::mt19937 rng(seed);
  std::map<std::uint32_t, std::uint32_t> live;    // block -> slot
  std::map<std::uint32_t, std::uint32_t> holder;  // slot -> live block
  std::map<std::uint32_t, Freed> released;        // slot -> its last release
  std::uint32_t next_block = 0;
  std::uint64_t peak = 0;
  for (std::uint64_t number = 0; number < calls; ++number) {
    const auto thread = static_cast<std::uint32_t>(rng() % threads);
    const bool make = live.empty() || rng() % 100 < 52;
    if (make) {
      const std::uint32_t block = next_block++;
      const SlotPlanner::Grant g = planner.Acquire(thread, number, block);
      EXPECT_FALSE(holder.contains(g.slot))
          << "call " << number << ": slot " << g.slot << " is held";
      if (auto it = released.find(g.slot); it != released.end()) {
        const Freed& f = it->second;
        EXPECT_EQ(g.wait, f.thread != thread) << "call " << number;
        if (f.thread != thread) {
          EXPECT_EQ(g.previous, f.block) << "call " << number;
          EXPECT_GE(number, f.number + lag) << "call " << number;
        }
      } else {
        EXPECT_FALSE(g.wait) << "call " << number << ": a new slot waits";
      }
      live[block] = g.slot;
      holder[g.slot] = block;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      const std::uint32_t block = it->first;
      if (rng() % 10 == 0) {  // realloc: a new block in the same slot
        const std::uint32_t to = next_block++;
        EXPECT_EQ(planner.Move(block, to), it->second);
        holder[it->second] = to;
        live[to] = it->second;
        live.erase(block);
        continue;
      }
      const std::uint32_t slot = planner.Release(thread, number, block);
      EXPECT_EQ(slot, it->second) << "call " << number;
      holder.erase(slot);
      released[slot] = {thread, number, block};
      live.erase(it);
    }
    peak = std::max<std::uint64_t>(peak, live.size());
  }
  return {planner.slots(), peak};
}

TEST(SlotPlanner, OneThreadTakesExactlyItsPeakLiveBlocks) {
  for (std::uint32_t seed = 1; seed <= 5; ++seed) {
    const auto [slots, peak] = Play(1, 64, 20000, seed);
    EXPECT_EQ(slots, peak) << "seed " << seed;
  }
}

TEST(SlotPlanner, ThreadsShareSlotsOnlyAfterTheLagAndWithinTheBound) {
  for (std::uint64_t lag : {0, 1, 16, 1000})
    for (std::uint32_t threads : {2, 3, 8}) {
      SCOPED_TRACE("lag " + std::to_string(lag) + ", threads " +
                   std::to_string(threads));
      const auto [slots, peak] = Play(threads, lag, 20000, threads * 7 + 1);
      EXPECT_LE(slots, peak + lag);
    }
}

TEST(SlotPlanner, AtLagZeroAReleasedSlotServesTheNextThreadAtOnce) {
  SlotPlanner planner(2, 0);
  EXPECT_EQ(planner.Acquire(0, 0, 10).slot, 0u);
  EXPECT_EQ(planner.Release(0, 1, 10), 0u);
  const SlotPlanner::Grant g = planner.Acquire(1, 2, 11);
  EXPECT_EQ(g.slot, 0u);
  EXPECT_TRUE(g.wait);
  EXPECT_EQ(g.previous, 10u);
  EXPECT_EQ(planner.slots(), 1u);
}

}  // namespace
}  // namespace allocmark::replay
