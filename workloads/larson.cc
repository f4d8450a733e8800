// larson: the server simulation of Larson and Krishnan.
//
// Models: a long-running server whose threads each own a table of live
// objects and keep replacing random ones (free the old object, allocate one of
// a random size), with threads that come and go and hand their tables to
// their successors, so objects allocated by one thread are freed by another,
// often after the first has exited. Written from the description in P.-A.
// Larson and M. Krishnan, "Memory allocation for long-running server
// applications", ISMM 1998, and the structure of its benchmark program as the
// allocator suites run it (larson 5 8 1000 5000 100 4141 T):
//   - warm-up, on the calling thread: every table's `slots_per_thread` blocks
//     are allocated there, shuffled across all the tables, and then 4 x (all
//     slots) random replacements are made, so each worker starts with blocks
//     another thread allocated;
//   - T chains of threads, one per table: a thread makes
//     `replacements_per_round` replacements of random slots with blocks of
//     uniform random size in [min_size_bytes, max_size_bytes], then starts its
//     successor on the same table and exits (the successor starts before its
//     predecessor has exited, as in the original), `rounds` generations in all.
// Here the run is a fixed amount of work rather than a fixed time (the
// original counts replacements in 5 s), so that every allocator meets the
// same requests; ops counts the workers' replacements.
// Does not model: per-request work. Heaps: malloc (and heaps that accept
// cross-thread frees): a table's blocks are freed on threads that did not
// allocate them.
// Parameters: see kParams.
// Writes: what the original writes into each new block, its first two bytes
// (larson.cpp's "write something" after each allocation), as the canary's
// first word, plus the canary's last word (block_check.h).
// Checks itself: the canary, before the free (every byte with --verify full).
// Live bytes: the warm-up's on the calling thread's slot, then each chain's
// table on the chain's slot.
#include <algorithm>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "workloads/support/checked_block.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class Larson {
 public:
  explicit Larson(const WorkloadConfig& config)
      : slots_(config.GetSize("slots_per_thread")),
        rounds_(config.GetSize("rounds")),
        replacements_(config.GetSize("replacements_per_round")),
        writer_(config.verify, 0),
        tables_(static_cast<std::size_t>(config.threads)) {
    const std::uint64_t min_size = config.GetSize("min_size_bytes");
    const std::uint64_t max_size = config.GetSize("max_size_bytes");
    const std::size_t all_slots = slots_ * tables_.size();
    Rng warm_rng = StreamRng(config.seed, tables_.size());
    // The warm-up: sizes of every initial block, the shuffle, then 4 x
    // all_slots replacements (slot, size).
    warm_size_.resize(all_slots + 4 * all_slots);
    for (auto& size : warm_size_) {
      size = static_cast<std::uint32_t>(warm_rng.Uniform(min_size, max_size));
      hash_.Add(size);
    }
    warm_order_.resize(all_slots);
    for (std::uint32_t i = 0; i < all_slots; ++i) warm_order_[i] = i;
    for (std::size_t i = all_slots; i > 1; --i)
      std::swap(warm_order_[i - 1], warm_order_[warm_rng.Below(i)]);
    warm_slot_.resize(4 * all_slots);
    for (auto& slot : warm_slot_) {
      slot = static_cast<std::uint32_t>(warm_rng.Below(all_slots));
      hash_.Add(slot);
    }
    for (std::size_t a = 0; a < tables_.size(); ++a) {
      Rng rng = StreamRng(config.seed, a);
      Table& table = tables_[a];
      table.size.resize(rounds_ * replacements_);
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
    blocks_.assign(tables_.size() * slots_, CheckedBlock{});
    generations_.resize(tables_.size());
    for (auto& chain : generations_) chain = std::vector<std::thread>(rounds_);
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    if constexpr (!AcceptsCrossThreadFree<H>) {
      ctx.Fail(std::string("larson frees blocks on other threads; heap '") +
               H::kName + "' does not accept that");
    } else {
      if (!WarmUp<H>(ctx)) return;
      // Each chain's first generation; each generation starts the next.
      for (std::size_t a = 0; a < tables_.size(); ++a)
        generations_[a][0] =
            std::thread([this, &ctx, a] { RunGeneration<H>(ctx, a, 0); });
      // Generation g stores its successor at g + 1 before it returns, so once
      // g is joined, g + 1 is there (or, after a failure, nothing is).
      for (auto& chain : generations_)
        for (std::thread& generation : chain)
          if (generation.joinable()) generation.join();
      for (std::size_t a = 0; a < tables_.size(); ++a) {
        ctx.AddOps(static_cast<int>(a),
                   static_cast<std::int64_t>(rounds_ * replacements_));
      }
      // The end: every block is freed on the calling thread (the chains
      // have already taken their tables' bytes off their slots).
      H heap;
      for (auto& b : blocks_)
        if (ctx.failed() ||
            !FreeChecked(heap, ctx, writer_, kNoLiveAccounting, b))
          return;
    }
  }

 private:
  struct Table {
    std::vector<std::uint32_t> size;  // one per replacement
    std::vector<std::uint32_t> slot;  // the slot each replacement replaces
  };

  // The bytes of blocks[0, n): what a table holds, as it changes hands.
  static std::int64_t Bytes(const CheckedBlock* blocks, std::size_t n) {
    std::int64_t bytes = 0;
    for (std::size_t i = 0; i < n; ++i)
      bytes += static_cast<std::int64_t>(blocks[i].size);
    return bytes;
  }

  // The calling thread allocates every table's blocks, shuffled across the
  // tables, and replaces 4 x all of them at random. Returns false on failure.
  template <Heap H>
  bool WarmUp(RunContext& ctx) {
    H heap;
    const std::size_t all = blocks_.size();
    for (std::size_t i = 0; i < all; ++i)
      if (!AllocateChecked(heap, ctx, writer_, 0, blocks_[warm_order_[i]],
                           warm_size_[i], i))
        return false;
    for (std::size_t i = 0; i < warm_slot_.size(); ++i) {
      CheckedBlock& b = blocks_[warm_slot_[i]];
      if (!FreeChecked(heap, ctx, writer_, 0, b) ||
          !AllocateChecked(heap, ctx, writer_, 0, b, warm_size_[all + i],
                           all + i))
        return false;
    }
    // The tables go to the chains: their bytes leave this thread's slot.
    ctx.AddLive(0, -Bytes(blocks_.data(), blocks_.size()));
    return true;
  }

  // Generation `g` of chain `a`: replaces, then starts generation g + 1.
  template <Heap H>
  void RunGeneration(RunContext& ctx, std::size_t a, std::size_t g) {
    const Table& table = tables_[a];
    CheckedBlock* blocks = &blocks_[a * slots_];
    const int slot = static_cast<int>(a);
    const std::uint64_t tag_base = static_cast<std::uint64_t>(a + 1) << 40;
    if (g == 0) ctx.AddLive(slot, Bytes(blocks, slots_));
    H heap;
    const std::size_t first = g * replacements_;
    for (std::size_t i = first; i < first + replacements_; ++i) {
      if (ctx.failed()) return;
      CheckedBlock& b = blocks[table.slot[i]];
      if (!FreeChecked(heap, ctx, writer_, slot, b) ||
          !AllocateChecked(heap, ctx, writer_, slot, b, table.size[i],
                           tag_base | i))
        return;
    }
    if (g + 1 == rounds_) {
      // The chain's table goes back to the calling thread, which frees it.
      ctx.AddLive(slot, -Bytes(blocks, slots_));
      return;
    }
    generations_[a][g + 1] =
        std::thread([this, &ctx, a, g] { RunGeneration<H>(ctx, a, g + 1); });
  }

  std::size_t slots_;
  std::size_t rounds_;
  std::size_t replacements_;
  BlockWriter writer_;
  std::vector<Table> tables_;
  std::vector<std::uint32_t> warm_size_;   // initial blocks, then warm-up
  std::vector<std::uint32_t> warm_order_;  // where initial block i goes
  std::vector<std::uint32_t> warm_slot_;   // the warm-up's replacements
  std::vector<CheckedBlock> blocks_;       // table a: [a * slots_, ...)
  // Per table, the thread of each generation.
  std::vector<std::vector<std::thread>> generations_;
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
            {"rounds", "thread generations per table", 4, 16, 100, 1},
            {"replacements_per_round",
             "replacements per generation (the original: 100 x slots)", 5000,
             500000, 500000, 1},
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
      // A chain's tags are its table's index << 40 | its replacement's; the
      // warm-up's 5 x (slots of up to 256 tables) are 32-bit indices.
      constexpr std::int64_t kTags = std::int64_t{1} << 40;
      if (p.at("rounds") > (kTags - 1) / p.at("replacements_per_round"))
        return "rounds * replacements_per_round is not below 2^40";
      if (p.at("slots_per_thread") > (std::int64_t{1} << 32) / (5 * 256))
        return "slots_per_thread is above 2^32 / 1280";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
