// fragmentation: a phased pattern made to fragment the heap.
//
// Models: the Redis-style fragmentation test: a cache fills with many small
// values, most of them are evicted at random, and then larger values arrive.
// The survivors pin pages that the freed space cannot be returned from, and
// the larger requests do not fit the freed small holes, so RSS stays high
// while live bytes fall: the gap is fragmentation.
// Phases, each ending with a reading of RSS (/proc/self/statm) and of the
// live requested bytes, reported as counters rss_after_phaseN_bytes (the
// resident set above what was resident when the timed region began: the
// binary, libraries, the trace and the block table are not the heap's) and
// live_after_phaseN_bytes (fragmentation_after_phaseN = their ratio):
//   1. allocate `small_objects` blocks of uniform size in [small_min_bytes,
//      small_max_bytes];
//   2. free a random `free_permille` of them;
//   3. allocate `large_objects` blocks in [large_min_bytes, large_max_bytes];
//   4. free everything (RSS left behind: what the allocator keeps).
// Does not model: purging by background threads over time (the phases are
// back to back), or allocator-specific defragmentation calls.
// Threads: 1 (RSS is the process's; phases of several threads would blur).
// Heaps: malloc, slab and pmr-pool (whose size-class pools fragment too).
// Parameters: see kParams. ops counts allocations.
// Writes: the first `write_bytes` of each block (default 64: a cached
// value's header and key; a small value in full) and the canary at both
// ends, which puts every page a block spans in the resident set.
// Checks itself: the canary, before the free (every byte with --verify full).
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "base/resident_set.h"
#include "workloads/support/checked_block.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class Fragmentation {
 public:
  explicit Fragmentation(const WorkloadConfig& config)
      : writer_(config.verify, config.GetSize("write_bytes")) {
    Rng rng(config.seed);
    small_.resize(config.GetSize("small_objects"));
    for (auto& size : small_)
      size = static_cast<std::uint32_t>(
          rng.Uniform(config.GetSize("small_min_bytes"),
                      config.GetSize("small_max_bytes")));
    const std::uint64_t free_permille = config.GetSize("free_permille");
    // A random free_permille of the small blocks, in random order.
    std::vector<std::uint32_t> order(small_.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[rng.Below(i)]);
    order.resize(order.size() * free_permille / 1000);
    freed_ = std::move(order);
    large_.resize(config.GetSize("large_objects"));
    for (auto& size : large_)
      size = static_cast<std::uint32_t>(
          rng.Uniform(config.GetSize("large_min_bytes"),
                      config.GetSize("large_max_bytes")));
    for (auto v : small_) hash_.Add(v);
    for (auto v : freed_) hash_.Add(v);
    for (auto v : large_) hash_.Add(v);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  void Prepare(RunContext&) {
    small_blocks_.assign(small_.size(), CheckedBlock{});
    large_blocks_.assign(large_.size(), CheckedBlock{});
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    H heap;
    std::vector<CheckedBlock>& small = small_blocks_;
    std::vector<CheckedBlock>& large = large_blocks_;
    std::int64_t live = 0;
    const std::int64_t baseline = ResidentBytes();
    auto phase_end = [&](int phase) {
      const std::string n = std::to_string(phase);
      const auto rss = static_cast<double>(
          std::max<std::int64_t>(ResidentBytes() - baseline, 0));
      ctx.SetCounter("rss_after_phase" + n + "_bytes", rss);
      ctx.SetCounter("live_after_phase" + n + "_bytes",
                     static_cast<double>(live));
      if (live > 0)
        ctx.SetCounter("fragmentation_after_phase" + n,
                       rss / static_cast<double>(live));
    };
    for (std::size_t i = 0; i < small.size(); ++i) {
      if (!AllocateChecked(heap, ctx, writer_, 0, small[i], small_[i], i))
        return;
      live += small_[i];
    }
    phase_end(1);
    for (std::uint32_t i : freed_) {
      if (!FreeChecked(heap, ctx, writer_, 0, small[i])) return;
      live -= small_[i];
    }
    phase_end(2);
    for (std::size_t i = 0; i < large.size(); ++i) {
      if (!AllocateChecked(heap, ctx, writer_, 0, large[i], large_[i],
                           small.size() + i))
        return;
      live += large_[i];
    }
    phase_end(3);
    for (auto& b : small)
      if (b.p != nullptr && !FreeChecked(heap, ctx, writer_, 0, b)) return;
    for (auto& b : large)
      if (!FreeChecked(heap, ctx, writer_, 0, b)) return;
    live = 0;
    heap.Reset();
    phase_end(4);
    ctx.AddOps(0, static_cast<std::int64_t>(small.size() + large.size()));
  }

 private:
  std::vector<std::uint32_t> small_;  // sizes
  std::vector<std::uint32_t> freed_;  // indices into small_ freed in phase 2
  std::vector<std::uint32_t> large_;  // sizes
  BlockWriter writer_;
  std::vector<CheckedBlock> small_blocks_, large_blocks_;  // from Prepare
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Fragmentation>({
    .name = "fragmentation",
    .summary = "phased: many small blocks, a random 90% freed, then larger "
               "ones; RSS per phase",
    .params =
        {
            {"small_objects", "blocks allocated in phase 1", 100000, 1000000,
             3000000, 1},
            {"small_min_bytes", "smallest small block", 16, 16, 16, 1},
            {"small_max_bytes", "largest small block", 128, 128, 128, 1},
            {"free_permille", "small blocks per 1000 freed in phase 2", 900,
             900, 900, 0},
            {"large_objects", "blocks allocated in phase 3", 10000, 100000,
             300000, 0},
            {"large_min_bytes", "smallest large block", 256, 256, 256, 1},
            {"large_max_bytes", "largest large block", 2048, 2048, 2048, 1},
            {"write_bytes", "bytes written from each block's start", 64, 64, 64,
             0},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kSlab, HeapKind::kPmrPool},
    .max_threads = 1,
    .ops_unit = "allocations",
    .cost_weight = 0.4,
    .check = [](const Params& p) -> std::string {
      if (p.at("small_min_bytes") > p.at("small_max_bytes"))
        return "small_min_bytes is above small_max_bytes";
      if (p.at("large_min_bytes") > p.at("large_max_bytes"))
        return "large_min_bytes is above large_max_bytes";
      if (p.at("free_permille") > 1000) return "free_permille is above 1000";
      if (p.at("small_objects") > UINT32_MAX)
        return "small_objects is above 2^32";
      if (p.at("small_max_bytes") > UINT32_MAX ||
          p.at("large_max_bytes") > UINT32_MAX)
        return "a size is above 4 GiB";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
