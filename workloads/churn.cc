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
// Writes: the first `write_bytes` of each block (default 64, one cache line):
// what constructing a small object writes, its header and fields; a string's
// or a buffer's capacity beyond that is written later, as it is used, and is
// no cost of allocation. Every block of 64 bytes or less is written in full.
// Checks itself: a canary per block (block_check.h), checked before the free;
// every byte with --verify full. A NULL or a changed byte fails the cell.
// Live bytes: per thread, per operation (a relaxed load and store).
// Latency: every `latency_every`-th replacement (free + allocate + write) is
// timed with the steady clock; the countdown costs one decrement the rest.
// Default 256: a sample's two clock reads (some 48 ns of CPU) spread over
// 256 replacements of 25 to 40 ns are 0.5% of the time; a quick cell still
// takes 31 000 samples per thread.
// This file is the model for a new workload: the trace is generated in the
// constructor (untimed), Run replays it on heap H with the shared helpers
// (checked_block.h, thread_group.h, clock.h) and registers one line.
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/support/checked_block.h"
#include "workloads/support/clock.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class Churn {
 public:
  explicit Churn(const WorkloadConfig& config)
      : live_objects_(config.GetSize("live_objects")),
        latency_every_(config.GetSize("latency_every")),
        writer_(config.verify, config.GetSize("write_bytes")),
        traces_(static_cast<std::size_t>(config.threads)) {
    const std::size_t ops = config.GetSize("ops");
    const std::uint64_t min_size = config.GetSize("min_size_bytes");
    const std::uint64_t max_size = config.GetSize("max_size_bytes");
    const bool skewed = config.Get("skewed") != 0;
    for (std::size_t t = 0; t < traces_.size(); ++t) {
      Rng rng = StreamRng(config.seed, t);
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

  void Prepare(RunContext& ctx) {
    blocks_.resize(traces_.size());
    for (std::size_t t = 0; t < traces_.size(); ++t) {
      blocks_[t].assign(live_objects_, CheckedBlock{});
      ctx.ReserveLatencies(static_cast<int>(t),
                           traces_[t].slot.size() / latency_every_ + 1);
    }
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    RunThreads(static_cast<int>(traces_.size()),
               [&](int t) { RunThread<H>(ctx, t); });
  }

 private:
  struct Trace {
    std::vector<std::uint32_t> slot;  // which block each replacement replaces
    std::vector<std::uint32_t>
        size;  // live_objects initial sizes, then one per op
  };

  template <Heap H>
  void RunThread(RunContext& ctx, int t) {
    const Trace& trace = traces_[static_cast<std::size_t>(t)];
    H heap;
    std::vector<CheckedBlock>& blocks = blocks_[static_cast<std::size_t>(t)];
    auto& latencies = ctx.Latencies(t);
    std::uint64_t tag = 0;
    for (auto& b : blocks) {
      if (!AllocateChecked(heap, ctx, writer_, t, b, trace.size[tag], tag))
        return;
      ++tag;
    }
    // Every latency_every_-th replacement is timed, from the first; a
    // countdown rather than a division per operation.
    std::size_t until_timed = 0;
    for (std::size_t i = 0; i < trace.slot.size(); ++i, ++tag) {
      if (ctx.failed()) return;
      CheckedBlock& b = blocks[trace.slot[i]];
      const bool timed = until_timed == 0;
      until_timed = timed ? latency_every_ - 1 : until_timed - 1;
      const std::int64_t start = timed ? NowNs() : 0;
      if (!FreeChecked(heap, ctx, writer_, t, b) ||
          !AllocateChecked(heap, ctx, writer_, t, b, trace.size[tag], tag))
        return;
      if (timed) latencies.push_back(NowNs() - start);
    }
    for (auto& b : blocks)
      if (!FreeChecked(heap, ctx, writer_, t, b)) return;
    ctx.AddOps(t, static_cast<std::int64_t>(tag));
  }

  std::size_t live_objects_;
  std::size_t latency_every_;
  BlockWriter writer_;
  std::vector<Trace> traces_;
  std::vector<std::vector<CheckedBlock>> blocks_;  // per thread, from Prepare
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
            {"ops", "replacements per thread", 20000, 8000000, 40000000, 1},
            {"latency_every", "time every k-th replacement", 256, 256, 256, 1},
            {"write_bytes", "bytes written from each block's start", 64, 64, 64,
             0},
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
