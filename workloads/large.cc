// large: blocks from 64 KiB to 16 MiB, every page touched.
//
// Models: programs that allocate big buffers (images, network and file
// buffers, matrices, column chunks): sizes around and above the allocators'
// mmap thresholds, so what is measured is how each allocator gets memory
// from the kernel and gives it back: mmap/munmap per block, a cached or
// retained region, madvise(DONTNEED) and the page faults that follow. Each
// of T threads keeps `live_blocks` blocks and replaces a random one per
// operation with a block of log-uniform size in [min_size_bytes,
// max_size_bytes]; one byte of every `touch_every_bytes` (default 4096, a
// page) of a new block is written, so every page is faulted in as a program
// that fills the buffer would fault it, without the memory bandwidth of
// writing every byte, which would bury the allocator's difference. Read sys_s
// and page_faults beside the wall time: on this pattern allocators differ
// mainly in kernel time.
// Does not model: blocks that are allocated and only partly touched, or huge
// pages (the run records the THP mode).
// Parameters: see kParams. ops counts replacements; counter: bytes_allocated.
// Checks itself: a canary per block (its first and last word) before the
// free; every byte with --verify full.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/support/checked_block.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class Large {
 public:
  explicit Large(const WorkloadConfig& config)
      : live_blocks_(config.GetSize("live_blocks")),
        writer_(config.verify, 64, config.GetSize("touch_every_bytes")),
        traces_(static_cast<std::size_t>(config.threads)) {
    for (std::size_t t = 0; t < traces_.size(); ++t)
      FillTrace(
          traces_[t], StreamRng(config.seed, t), config.GetSize("replacements"),
          config.GetSize("min_size_bytes"), config.GetSize("max_size_bytes"));
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    RunThreads(static_cast<int>(traces_.size()), [&](int t) {
      const Trace& trace = traces_[static_cast<std::size_t>(t)];
      H heap;
      std::vector<CheckedBlock> blocks(live_blocks_);
      std::size_t tag = 0;
      for (; tag < live_blocks_; ++tag)
        if (!AllocateChecked(heap, ctx, writer_, t, blocks[tag],
                             trace.size[tag], tag))
          return;
      for (std::size_t i = 0; i < trace.slot.size(); ++i, ++tag) {
        if (ctx.failed()) return;
        CheckedBlock& b = blocks[trace.slot[i]];
        if (!FreeChecked(heap, ctx, writer_, t, b) ||
            !AllocateChecked(heap, ctx, writer_, t, b, trace.size[tag], tag))
          return;
      }
      for (auto& b : blocks)
        if (!FreeChecked(heap, ctx, writer_, t, b)) return;
      ctx.AddOps(t, static_cast<std::int64_t>(trace.slot.size()));
    });
    ctx.SetCounter("bytes_allocated", bytes_);
  }

 private:
  struct Trace {
    std::vector<std::uint64_t>
        size;  // live_blocks initial sizes, then one per replacement
    std::vector<std::uint32_t> slot;
  };

  // Thread t's requests: the sizes of its first live_blocks_ blocks and of
  // each replacement (log-uniform in [lo, hi]), then the slot each
  // replacement frees; all of them go into the request hash.
  void FillTrace(Trace& trace, Rng rng, std::size_t ops, std::uint64_t lo,
                 std::uint64_t hi) {
    trace.size.resize(live_blocks_ + ops);
    trace.slot.resize(ops);
    for (auto& size : trace.size) {
      size = rng.LogUniform(lo, hi);
      bytes_ += static_cast<double>(size);
      hash_.Add(size);
    }
    for (auto& slot : trace.slot) {
      slot = static_cast<std::uint32_t>(rng.Below(live_blocks_));
      hash_.Add(slot);
    }
  }

  std::size_t live_blocks_;
  BlockWriter writer_;
  std::vector<Trace> traces_;
  double bytes_ = 0;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Large>({
    .name = "large",
    .summary = "64 KiB-16 MiB blocks, every page touched: mmap thresholds, "
               "page faults, sys time",
    .params =
        {
            {"live_blocks", "blocks live per thread", 8, 8, 8, 1},
            {"replacements", "replacements per thread", 40, 1200, 4800, 1},
            {"min_size_bytes", "smallest block", 65536, 65536, 65536, 1},
            {"max_size_bytes", "largest block", 16777216, 16777216, 16777216,
             1},
            {"touch_every_bytes", "one byte written per this many (0: none)",
             4096, 4096, 4096, 0},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 64,
    .ops_unit = "replacements",
    .cost_weight = 0.4,
    .check = [](const Params& p) -> std::string {
      if (p.at("min_size_bytes") > p.at("max_size_bytes"))
        return "min_size_bytes is above max_size_bytes";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
