// realloc_growth: buffers that grow by appending, vectors and strings.
//
// Models: code that builds buffers of unknown final size: response bodies,
// log lines, std::vector push_back loops. Each round grows `buffers` buffers
// side by side (appends interleaved round-robin, so a buffer rarely sits at
// the end of free space and can grow in place only if the allocator arranges
// it), each to a random final size in [min_final_bytes, max_final_bytes] by
// appends of 1 to `max_append_bytes` bytes, then verifies and frees them all.
// Half the buffers are vector-like (capacity doubles from 64 bytes when full),
// half string-like (every append asks for exactly the new length, the naive
// C pattern, where the allocator's in-place growth decides everything).
// On heap=malloc growth is realloc(); on the other heaps, which have no
// realloc, it is allocate-copy-free, as std::vector does; on arena and
// pmr-monotonic the old block is abandoned and the round ends with a reset.
// Does not model: shrinking, or buffers that outlive a round.
// Parameters: see kParams. ops counts appends; counter: reallocations.
// Writes: every appended byte (a memset of the append's length: the content
// a program appends), so a buffer's content is written once, as in the
// pattern, and moved only by realloc or the heap's copy.
// Checks itself: every byte of a buffer holds the byte of its tag, and its
// first and last 8 bytes are checked before the free: a realloc that loses
// or moves content wrongly fails the cell. With --verify full: byte i of
// buffer b holds the pattern of b's tag at i
// (block_check.h) below its size and zero above it: a growth zeroes the new
// spare room (a vector's value-initialised capacity) and an append adds the
// pattern onto those zeros rather than storing it, so a byte changed at any
// moment, even before its append, stays changed; every byte of the capacity
// is verified before the buffer is freed, so a realloc that loses or moves
// content wrongly, or an allocator that damages a live buffer, fails the
// cell.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "workloads/support/block_check.h"
#include "workloads/support/heap_traits.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

// Byte i of the pattern FillBlock writes for `tag` (so that a buffer filled
// piecewise by appends equals FillBlock over its length).
inline unsigned char PatternByte(std::uint64_t tag, std::size_t i) {
  return static_cast<unsigned char>(PatternWord(tag, i / 8) >> (8 * (i % 8)));
}

// Adds the pattern of `tag` onto p[from, to), which a growth zeroed: the
// result is the pattern exactly when those bytes were still zero. Whole
// words where aligned with the pattern, bytes at the edges.
inline void AddPattern(unsigned char* p, std::size_t from, std::size_t to,
                       std::uint64_t tag) {
  auto add_byte = [&](std::size_t i) {
    p[i] = static_cast<unsigned char>(p[i] + PatternByte(tag, i));
  };
  while (from < to && from % 8 != 0) add_byte(from++);
  for (; from + 8 <= to; from += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + from, 8);
    w += PatternWord(tag, from / 8);
    std::memcpy(p + from, &w, 8);
  }
  for (; from < to; ++from) add_byte(from);
}

// True when p[0, size) holds the pattern of `tag` and p[size, capacity) is
// still zero.
inline bool CheckBuffer(const unsigned char* p, std::size_t size,
                        std::size_t capacity, std::uint64_t tag) {
  if (!CheckBlock(p, size, tag)) return false;
  unsigned char spare = 0;
  for (std::size_t i = size; i < capacity; ++i) spare |= p[i];
  return spare == 0;
}

// The byte every appended byte of the buffer with `tag` holds (canary mode).
inline unsigned char ContentByte(std::uint64_t tag) {
  return static_cast<unsigned char>((tag * 0x9e3779b97f4a7c15ULL) >> 56);
}

// True when the first and last min(8, size) bytes of p[0, size) hold
// ContentByte(tag).
inline bool CheckContentEnds(const unsigned char* p, std::size_t size,
                             std::uint64_t tag) {
  const unsigned char c = ContentByte(tag);
  const std::size_t n = std::min<std::size_t>(size, 8);
  unsigned char diff = 0;
  for (std::size_t i = 0; i < n; ++i)
    diff |= static_cast<unsigned char>((p[i] ^ c) | (p[size - 1 - i] ^ c));
  return diff == 0;
}

class ReallocGrowth {
 public:
  explicit ReallocGrowth(const WorkloadConfig& config)
      : verify_(config.verify),
        rounds_(config.GetSize("rounds")),
        buffers_(config.GetSize("buffers")),
        traces_(static_cast<std::size_t>(config.threads)),
        reallocations_(traces_.size()) {
    const std::uint64_t min_final = config.GetSize("min_final_bytes");
    const std::uint64_t max_final = config.GetSize("max_final_bytes");
    const std::uint64_t max_append = config.GetSize("max_append_bytes");
    for (std::size_t t = 0; t < traces_.size(); ++t) {
      Rng rng = StreamRng(config.seed, t);
      Trace& trace = traces_[t];
      for (std::size_t r = 0; r < rounds_; ++r) {
        std::vector<std::uint64_t> left(buffers_);
        for (auto& l : left) l = rng.Uniform(min_final, max_final);
        // Round-robin appends until every buffer has its final size.
        for (bool any = true; any;) {
          any = false;
          for (std::size_t b = 0; b < buffers_; ++b) {
            if (left[b] == 0) continue;
            auto n = static_cast<std::uint32_t>(
                std::min(left[b], rng.Uniform(1, max_append)));
            left[b] -= n;
            trace.appends.push_back({static_cast<std::uint32_t>(b), n});
            hash_.Add(std::uint64_t{b} << 32 | n);
            any = true;
          }
        }
        trace.round_end.push_back(trace.appends.size());
      }
    }
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    RunThreads(static_cast<int>(traces_.size()),
               [&](int t) { RunThread<H>(ctx, t); });
    double reallocations = 0;
    for (std::int64_t n : reallocations_)
      reallocations += static_cast<double>(n);
    ctx.SetCounter("reallocations", reallocations);
  }

 private:
  struct Append {
    std::uint32_t buffer;
    std::uint32_t bytes;
  };
  struct Trace {
    std::vector<Append> appends;
    std::vector<std::size_t>
        round_end;  // index in appends where each round ends
  };
  struct Buffer {
    unsigned char* p = nullptr;
    std::size_t size = 0;
    std::size_t capacity = 0;
  };

  // Moves b to a block of new_capacity bytes, keeping its content.
  template <Heap H>
  static bool Grow(H& heap, Buffer& b, std::size_t new_capacity) {
    void* grown;
    if constexpr (std::is_same_v<H, MallocHeap>) {
      grown = std::realloc(b.p, new_capacity);
    } else {
      grown = heap.Allocate(new_capacity, alignof(std::max_align_t));
      if (grown != nullptr && b.p != nullptr) {
        std::memcpy(grown, b.p, b.size);
        heap.Deallocate(b.p, b.capacity, alignof(std::max_align_t));
      }
    }
    if (grown == nullptr) return false;
    b.p = static_cast<unsigned char*>(grown);
    return true;
  }

  template <Heap H>
  void RunThread(RunContext& ctx, int t) {
    const Trace& trace = traces_[static_cast<std::size_t>(t)];
    H heap;
    std::vector<Buffer> buffers(buffers_);
    std::int64_t reallocations = 0;
    std::size_t next = 0;
    for (std::size_t r = 0; r < rounds_; ++r) {
      if (ctx.failed()) return;
      const std::uint64_t tag_base =
          (static_cast<std::uint64_t>(t) << 48) | (r * buffers_);
      for (; next < trace.round_end[r]; ++next) {
        const Append& a = trace.appends[next];
        Buffer& b = buffers[a.buffer];
        const std::uint64_t tag = tag_base + a.buffer;
        const bool vector_like = a.buffer % 2 == 0;
        const std::size_t size = b.size + a.bytes;
        if (size > b.capacity) {
          std::size_t capacity = size;
          if (vector_like) {
            capacity = std::max<std::size_t>(b.capacity, 64);
            while (capacity < size) capacity *= 2;
          }
          if (!Grow(heap, b, capacity)) {
            ctx.Fail("growing a buffer to " + std::to_string(capacity) +
                     " bytes returned NULL");
            return;
          }
          ++reallocations;
          ctx.AddLive(t, static_cast<std::int64_t>(capacity - b.capacity));
          // --verify full: the new room is written now (a vector's
          // value-initialised spare capacity); appends below add the pattern
          // onto the zeros. realloc kept the whole old block, a copy only its
          // content.
          if (verify_ == BlockVerify::kFull) {
            const std::size_t kept =
                std::is_same_v<H, MallocHeap> ? b.capacity : b.size;
            std::memset(b.p + kept, 0, capacity - kept);
          }
          b.capacity = capacity;
        }
        if (verify_ == BlockVerify::kFull)
          AddPattern(b.p, b.size, size, tag);
        else
          std::memset(b.p + b.size, ContentByte(tag), a.bytes);
        b.size = size;
      }
      for (std::size_t i = 0; i < buffers_; ++i) {
        Buffer& b = buffers[i];
        const bool intact =
            verify_ == BlockVerify::kFull
                ? CheckBuffer(b.p, b.size, b.capacity, tag_base + i)
                : CheckContentEnds(b.p, b.size, tag_base + i);
        if (!intact) [[unlikely]] {
          ctx.Fail("a buffer grown to " + std::to_string(b.size) +
                   " bytes lost its content (round " + std::to_string(r) + ")");
          return;
        }
        if constexpr (!kReleasesInBulk<H>) {
          if constexpr (std::is_same_v<H, MallocHeap>) {
            std::free(b.p);
          } else {
            heap.Deallocate(b.p, b.capacity, alignof(std::max_align_t));
          }
        }
        ctx.AddLive(t, -static_cast<std::int64_t>(b.capacity));
        b = Buffer{};
      }
      heap.Reset();
    }
    ctx.AddOps(t, static_cast<std::int64_t>(trace.appends.size()));
    reallocations_[static_cast<std::size_t>(t)] = reallocations;
  }

  BlockVerify verify_;
  std::size_t rounds_;
  std::size_t buffers_;
  std::vector<Trace> traces_;                // per thread
  std::vector<std::int64_t> reallocations_;  // per thread
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ReallocGrowth>({
    .name = "realloc_growth",
    .summary = "vectors and strings growing by realloc / append, interleaved",
    .params =
        {
            {"rounds", "rounds per thread", 20, 1500, 6000, 1},
            {"buffers", "buffers grown side by side per round", 64, 64, 64, 1},
            {"min_final_bytes", "smallest final buffer", 16, 16, 16, 1},
            {"max_final_bytes", "largest final buffer", 16384, 16384, 16384, 1},
            {"max_append_bytes", "largest single append", 256, 256, 256, 1},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kArena, HeapKind::kPmrPool},
    .max_threads = 256,
    .ops_unit = "appends",
    .cost_weight = 0.4,
    .check = [](const Params& p) -> std::string {
      if (p.at("min_final_bytes") > p.at("max_final_bytes"))
        return "min_final_bytes is above max_final_bytes";
      if (p.at("max_append_bytes") > UINT32_MAX)
        return "max_append_bytes is above 4 GiB";
      if (p.at("buffers") > UINT32_MAX) return "buffers is above 2^32";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
