// larson: the server simulation of Larson and Krishnan.
//
// Models: a long-running server whose threads each own a table of live
// objects and keep replacing random ones (free the old object, allocate one of
// a random size), with threads that come and go and hand their tables to
// their successors, so objects allocated by one thread are freed by another,
// possibly after the first has exited. Written from the description in P.-A.
// Larson and M. Krishnan, "Memory allocation for long-running server
// applications", ISMM 1998: T threads, each with `slots_per_thread` slots,
// replacing random slots with blocks of uniform random size in
// [min_size_bytes, max_size_bytes]; a thread that finishes its share of a
// round exits and a new thread takes over its table. Here the run is a fixed
// amount of work rather than a fixed time: `rounds` rounds of
// `replacements_per_round` replacements per thread, each round on T newly
// created threads, and in round r thread i takes table (i + r) mod T, so a
// table passes to a different thread every round when T > 1.
// Does not model: the original's timed sleep between thread generations, or
// per-request work; heap = malloc (and heaps that accept cross-thread frees):
// a table's blocks are freed on threads that did not allocate them.
// Parameters: see kParams. ops counts replacements (one free, one allocation).
// Writes: what the original writes into each new block, its first two bytes
// (larson.cpp's "write something" after each allocation), as the canary's
// first word, plus the canary's last word (block_check.h).
// Checks itself: the canary, before the free (every byte with --verify full).
// Live bytes: a thread accounts for the table it holds (added when it takes the
// table, removed when it hands it on).
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "workloads/checked_block.h"
#include "workloads/rng.h"
#include "workloads/workload.h"

namespace allocmark {
namespace {

class Larson {
 public:
  explicit Larson(const WorkloadConfig& config)
      : threads_(config.threads),
        slots_(config.GetSize("slots_per_thread")),
        rounds_(config.GetSize("rounds")),
        replacements_(config.GetSize("replacements_per_round")),
        writer_(config.verify, 0),
        tables_(static_cast<std::size_t>(threads_)) {
    const std::uint64_t min_size = config.GetSize("min_size_bytes");
    const std::uint64_t max_size = config.GetSize("max_size_bytes");
    for (std::size_t a = 0; a < tables_.size(); ++a) {
      Rng rng(config.seed * 1000003 + a);
      Table& table = tables_[a];
      table.size.resize(slots_ + rounds_ * replacements_);
      table.slot.resize(rounds_ * replacements_);
      for (auto& size : table.size) {
        size = static_cast<std::uint32_t>(rng.Uniform(min_size, max_size));
        hash_.Add(size);
      }
      for (auto& slot : table.slot) {
        slot = static_cast<std::uint32_t>(rng.Below(slots_));
        hash_.Add(slot);
      }
    }
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  void Prepare(RunContext&) {
    blocks_.assign(tables_.size(), std::vector<CheckedBlock>(slots_));
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    if constexpr (!AcceptsCrossThreadFree<H>) {
      ctx.Fail(std::string("larson frees blocks on other threads; heap '") +
               H::kName + "' does not accept that");
    } else {
      auto& blocks = blocks_;
      for (std::size_t round = 0; round < rounds_ && !ctx.failed(); ++round) {
        std::vector<std::thread> threads;
        for (int t = 0; t < threads_; ++t)
          threads.emplace_back([&, t, round] {
            std::size_t a =
                (static_cast<std::size_t>(t) + round) % tables_.size();
            RunRound<H>(ctx, t, round, a, blocks[a]);
          });
        for (auto& th : threads) th.join();
      }
    }
  }

 private:
  struct Table {
    std::vector<std::uint32_t>
        size;  // slots initial sizes, then one per replacement
    std::vector<std::uint32_t> slot;  // the slot each replacement replaces
  };

  // Thread t's round: takes table a, replaces, and (in the last round) frees
  // it.
  template <Heap H>
  void RunRound(RunContext& ctx, int t, std::size_t round, std::size_t a,
                std::vector<CheckedBlock>& blocks) {
    const Table& table = tables_[a];
    const std::uint64_t tag_base = static_cast<std::uint64_t>(a) << 40;
    H heap;
    std::int64_t held = 0;
    if (round == 0) {
      for (std::size_t i = 0; i < slots_; ++i)
        if (!AllocateChecked(heap, ctx, writer_, t, blocks[i], table.size[i],
                             tag_base | i))
          return;
    } else {
      for (const auto& b : blocks) held += static_cast<std::int64_t>(b.size);
      ctx.AddLive(t, held);
    }
    const std::size_t first = round * replacements_;
    for (std::size_t i = first; i < first + replacements_; ++i) {
      if (ctx.failed()) return;
      CheckedBlock& b = blocks[table.slot[i]];
      if (!FreeChecked(heap, ctx, writer_, t, b) ||
          !AllocateChecked(heap, ctx, writer_, t, b, table.size[slots_ + i],
                           tag_base | (slots_ + i)))
        return;
    }
    ctx.AddOps(t, static_cast<std::int64_t>(replacements_));
    if (round + 1 == rounds_) {
      for (auto& b : blocks)
        if (!FreeChecked(heap, ctx, writer_, t, b)) return;
      return;
    }
    held = 0;
    for (const auto& b : blocks) held += static_cast<std::int64_t>(b.size);
    ctx.AddLive(t, -held);  // handed on to the next round's thread
  }

  int threads_;
  std::size_t slots_;
  std::size_t rounds_;
  std::size_t replacements_;
  BlockWriter writer_;
  std::vector<Table> tables_;
  std::vector<std::vector<CheckedBlock>> blocks_;  // per table, from Prepare
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Larson>({
    .name = "larson",
    .summary = "Larson & Krishnan's server: threads replace random blocks, "
               "tables pass between threads",
    .params =
        {
            {"slots_per_thread", "blocks in each thread's table", 1000, 5000,
             5000, 1},
            {"min_size_bytes", "smallest block", 8, 8, 8, 1},
            {"max_size_bytes", "largest block", 1000, 1000, 1000, 1},
            {"rounds", "thread generations", 4, 20, 100, 1},
            {"replacements_per_round", "replacements per thread and round",
             5000, 400000, 400000, 1},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kSlabMt},
    .max_threads = 256,
    .ops_unit = "replacements",
    .cost_weight = 0.45,
    .check = [](const Params& p) -> std::string {
      if (p.at("min_size_bytes") > p.at("max_size_bytes"))
        return "min_size_bytes is above max_size_bytes";
      if (p.at("max_size_bytes") > UINT32_MAX)
        return "max_size_bytes is above 4 GiB";
      // A request's tag is its table's index << 40 | its index in the table.
      constexpr std::int64_t kTags = std::int64_t{1} << 40;
      if (p.at("slots_per_thread") >= kTags ||
          p.at("rounds") > (kTags - 1 - p.at("slots_per_thread")) /
                               p.at("replacements_per_round"))
        return "slots_per_thread + rounds * replacements_per_round is not "
               "below 2^40";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
