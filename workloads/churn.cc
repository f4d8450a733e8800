// churn: small-object churn, the everyday pattern of servers and interpreters.
//
// Models: each of T threads keeps a working set of `live_objects` blocks and
// replaces a random one per operation (free the old block, allocate a new one
// of a random size), so the heap sees a steady mix of sizes at a steady live
// size. Sizes are uniform in [min_size_bytes, max_size_bytes], or, with
// skewed=1, log-uniform (a power of two picked uniformly, then a size within
// it), which puts most requests at the small end as real programs do
// (the size profiles in Ferreira et al. and in fleetbench's empirical driver).
// Does not model: frees from other threads (producer_consumer, xmalloc),
// phase changes (fragmentation), or object lifetimes tied to size.
// Parameters: see kParams below; ops counts allocations (each replacement is
// one free and one allocation), so ops_per_s is allocation+free pairs per s.
// Checks itself: every block is filled with a pattern of its request index
// and verified before it is freed; a NULL or a changed byte fails the cell.
// Latency: every `latency_every`-th replacement (free + allocate + fill) is
// timed with the steady clock.
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "workloads/block_check.h"
#include "workloads/rng.h"
#include "workloads/workload.h"

namespace allocmark {
namespace {

class Churn {
 public:
  explicit Churn(const WorkloadConfig& config)
      : live_objects_(config.GetSize("live_objects")),
        latency_every_(config.GetSize("latency_every")),
        traces_(static_cast<std::size_t>(config.threads)) {
    const std::size_t ops = config.GetSize("ops");
    const std::uint64_t min_size = config.GetSize("min_size_bytes");
    const std::uint64_t max_size = config.GetSize("max_size_bytes");
    const bool skewed = config.Get("skewed") != 0;
    for (std::size_t t = 0; t < traces_.size(); ++t) {
      Rng rng(config.seed * 1000003 + t);
      Trace& trace = traces_[t];
      trace.slot.resize(ops);
      trace.size.resize(live_objects_ + ops);
      for (auto& size : trace.size) {
        size = static_cast<std::uint32_t>(
            skewed ? rng.LogUniform(min_size, max_size)
                   : rng.Uniform(min_size, max_size));
        hash_.Add(size);
      }
      for (auto& slot : trace.slot) {
        slot = static_cast<std::uint32_t>(rng.Below(live_objects_));
        hash_.Add(slot);
      }
    }
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    if (traces_.size() == 1) {
      RunThread<H>(ctx, 0);
      return;
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < static_cast<int>(traces_.size()); ++t)
      threads.emplace_back([&ctx, t, this] { RunThread<H>(ctx, t); });
    for (auto& th : threads) th.join();
  }

 private:
  struct Trace {
    std::vector<std::uint32_t> slot;  // which block each replacement replaces
    std::vector<std::uint32_t>
        size;  // live_objects initial sizes, then one per op
  };
  struct Block {
    void* p = nullptr;
    std::uint32_t size = 0;
    std::uint32_t tag = 0;
  };

  template <Heap H>
  bool Allocate(H& heap, RunContext& ctx, int t, Block& b, std::uint32_t size,
                std::uint32_t tag) {
    b.p = heap.Allocate(size, alignof(std::max_align_t));
    if (b.p == nullptr) {
      ctx.Fail("allocation of " + std::to_string(size) +
               " bytes returned NULL");
      return false;
    }
    b.size = size;
    b.tag = tag;
    FillBlock(b.p, size, tag);
    ctx.AddLive(t, size);
    return true;
  }

  template <Heap H>
  bool Free(H& heap, RunContext& ctx, int t, Block& b) {
    if (!CheckBlock(b.p, b.size, b.tag)) {
      ctx.Fail("block of " + std::to_string(b.size) + " bytes (request " +
               std::to_string(b.tag) + ") was changed while live");
      return false;
    }
    heap.Deallocate(b.p, b.size, alignof(std::max_align_t));
    ctx.AddLive(t, -static_cast<std::int64_t>(b.size));
    b.p = nullptr;
    return true;
  }

  template <Heap H>
  void RunThread(RunContext& ctx, int t) {
    const Trace& trace = traces_[static_cast<std::size_t>(t)];
    H heap;
    std::vector<Block> blocks(live_objects_);
    auto& latencies = ctx.Latencies(t);
    latencies.reserve(trace.slot.size() / latency_every_ + 1);
    std::uint32_t tag = 0;
    for (auto& b : blocks)
      if (!Allocate(heap, ctx, t, b, trace.size[tag], tag))
        return;
      else
        ++tag;
    // Every latency_every_-th replacement is timed, from the first; a
    // countdown rather than a division per operation.
    std::size_t until_timed = 0;
    for (std::size_t i = 0; i < trace.slot.size(); ++i, ++tag) {
      if (ctx.failed()) return;
      Block& b = blocks[trace.slot[i]];
      const bool timed = until_timed == 0;
      until_timed = timed ? latency_every_ - 1 : until_timed - 1;
      auto start = timed ? std::chrono::steady_clock::now()
                         : std::chrono::steady_clock::time_point{};
      if (!Free(heap, ctx, t, b) ||
          !Allocate(heap, ctx, t, b, trace.size[tag], tag))
        return;
      if (timed)
        latencies.push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - start)
                .count());
    }
    for (auto& b : blocks)
      if (!Free(heap, ctx, t, b)) return;
    ctx.AddOps(t, static_cast<std::int64_t>(tag));
  }

  std::size_t live_objects_;
  std::size_t latency_every_;
  std::vector<Trace> traces_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Churn>({
    .name = "churn",
    .summary =
        "small-object churn: random replacement in a per-thread working set",
    .params =
        {
            {"min_size_bytes", "smallest request", 16, 16, 16, 1},
            {"max_size_bytes", "largest request", 256, 256, 256, 1},
            {"skewed", "0: uniform sizes, 1: log-uniform (mostly small)", 0, 0,
             0, 0},
            {"live_objects", "blocks live per thread", 1000, 20000, 100000, 1},
            {"ops", "replacements per thread", 20000, 2000000, 20000000, 1},
            {"latency_every", "time every k-th replacement", 64, 64, 64, 1},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kSlab, HeapKind::kPmrPool},
    .max_threads = 1024,
    .check = [](const Params& p) -> std::string {
      if (p.at("min_size_bytes") > p.at("max_size_bytes"))
        return "min_size_bytes is above max_size_bytes";
      if (p.at("max_size_bytes") > UINT32_MAX)
        return "max_size_bytes is above 4 GiB";
      // Request tags are 32-bit: one per object ever allocated.
      if (p.at("live_objects") + p.at("ops") > UINT32_MAX)
        return "live_objects + ops is above 2^32";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
