// frame_arena: a game-frame loop of short-lived temporaries.
//
// Models: a game or real-time renderer: every frame allocates many temporary
// objects of mixed kinds: particles (fixed 64-byte records), strings (8 to
// 200 bytes: names, formatted text) and vectors that grow by doubling from 4
// to up to `max_vector_items` 16-byte items (each growth allocates the new
// block, copies, frees the old), and a small fraction, `survivor_permille`,
// survives for 1 to `max_survivor_frames` frames (an effect that lingers, a
// message queued for later). On heap=malloc every temporary is freed at the
// end of its frame; on arena and pmr-monotonic the frame's heap is reset
// instead (the frame-allocator idiom). Survivors never come from the frame's
// heap: an engine keeps them out of the frame arena, in a pool of
// size-classed blocks. So each heap is a whole design: malloc for
// everything; allocmark's arena with allocmark's slab; the standard
// library's monotonic_buffer_resource with its unsynchronized_pool_resource
// (SurvivorHeapOf below).
// Does not model: rendering work between allocations, or objects shared
// between threads. Threads: each of T threads runs its own frame loop (a job
// system's per-worker frame allocators).
// Pattern: the frame/linear allocator of game engines (Gregory, Game Engine
// Architecture, "single-frame and double-buffered allocators").
// Parameters: see kParams. ops counts frames; counters: objects (temporaries
// and survivors allocated, vector growth steps included). The objects of
// the first min(frames, kDistinctFrames) frames are drawn before the timed
// region, and later frames repeat them in turn (a game's frames are alike):
// a trace of every frame would take longer to draw than the cell runs, and
// its tens of megabytes would stream through the caches the heaps use.
// Latency: every frame's time (allocation, fill, checks, frees or reset), the
// number a game engineer reads: p50, p99 and max of ctx.Latencies.
// Writes: the first `write_bytes` of each object (default 64: a particle
// record in full, a string's first 64 characters, a vector's first four
// items); a growing vector's items are not copied into each new block (see
// GrowVector).
// Live bytes: survivors per object; a frame's temporaries all at once, from
// the frame's start to its end (their sizes are known from the trace before
// the timed region, so the frame counts nothing per object). The frame's
// peak, at its end, is exact; earlier in the frame the series counts the
// temporaries not yet made. Counted at the end only, they showed in the
// samples just while the end of a frame was checked, and at 2 threads the
// peak live bytes missed the other thread's frame.
// Checks itself: a canary per object (block_check.h), written when the
// object is made. A survivor, and a vector's old block, is checked before it
// is freed. A frame's temporaries are checked at the frame's end on the
// first frame and one in `check_every` after it, under every heap (on heap
// malloc the other frames free them unchecked): a frame-arena program does
// not visit its temporaries when it resets the arena, and a check of all of
// them every frame charged the arena a walk through its frame's memory that
// its pattern does not make, 10% of its frame time, against a few
// instructions per block on the free that malloc's pattern makes anyway.
// The price: a block handed out twice, or overwritten, in an unchecked frame
// only goes unseen. --verify full (every byte) and check_every=1 check every
// frame.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "allocators/own_heaps.h"
#include "allocators/pmr_heaps.h"
#include "workloads/support/checked_block.h"
#include "workloads/support/clock.h"
#include "workloads/support/heap_traits.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

// Where a frame loop on heap H keeps the objects that outlive their frame:
// the pool of H's design (see the header).
template <Heap H>
struct SurvivorHeapOf {
  using type = MallocHeap;
};
template <>
struct SurvivorHeapOf<ArenaHeap> {
  using type = SlabHeap;
};
template <>
struct SurvivorHeapOf<PmrMonotonicHeap> {
  using type = PmrPoolHeap;
};

class FrameArena {
 public:
  explicit FrameArena(const WorkloadConfig& config)
      : frames_(config.GetSize("frames")),
        objects_per_frame_(config.GetSize("objects_per_frame")),
        writer_(config.verify, config.GetSize("write_bytes")),
        check_every_(config.verify == BlockVerify::kFull
                         ? 1
                         : config.GetSize("check_every")),
        traces_(static_cast<std::size_t>(config.threads)),
        objects_(traces_.size()) {
    const std::size_t objects = objects_per_frame_;
    const std::uint64_t survivor_permille = config.GetSize("survivor_permille");
    const std::uint64_t max_survivor_frames =
        config.GetSize("max_survivor_frames");
    const std::uint64_t max_vector_items = config.GetSize("max_vector_items");
    for (std::size_t t = 0; t < traces_.size(); ++t) {
      Rng rng = StreamRng(config.seed, t);
      auto& trace = traces_[t];
      trace.resize(std::min(frames_, kDistinctFrames) * objects);
      for (Object& o : trace) {
        std::uint64_t kind =
            rng.Below(10);  // 5 particles : 3 strings : 2 vectors
        if (kind < 5) {
          o = {kParticleBytes, 0, 0};
        } else if (kind < 8) {
          o = {static_cast<std::uint32_t>(rng.Uniform(8, 200)), 0, 0};
        } else {
          o = {0, static_cast<std::uint32_t>(rng.Uniform(1, max_vector_items)),
               0};
        }
        if (rng.Chance(survivor_permille))
          o.survive_frames =
              static_cast<std::uint32_t>(rng.Uniform(1, max_survivor_frames));
        hash_.Add(o.size);
        hash_.Add(o.vector_items);
        hash_.Add(o.survive_frames);
      }
      auto& frame_bytes = frame_bytes_.emplace_back();
      for (std::size_t f = 0; f * objects < trace.size(); ++f) {
        std::int64_t bytes = 0;
        for (std::size_t i = f * objects; i < (f + 1) * objects; ++i)
          if (trace[i].survive_frames == 0) bytes += TemporaryBytes(trace[i]);
        frame_bytes.push_back(bytes);
      }
    }
    hash_.Add(frames_);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  void Prepare(RunContext& ctx) {
    temporaries_.resize(traces_.size());
    for (std::size_t t = 0; t < traces_.size(); ++t) {
      // Sized and written now: the timed loop stores into it by index (a
      // push_back would hand each block's address to its out-of-line growth
      // path and keep the block in memory, where reading it back whole
      // stalls on the stores just made).
      temporaries_[t].assign(objects_per_frame_, CheckedBlock{});
      ctx.ReserveLatencies(static_cast<int>(t), frames_);
    }
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    RunThreads(static_cast<int>(traces_.size()),
               [&](int t) { RunThread<H>(ctx, t); });
    double objects = 0;
    for (std::uint64_t n : objects_) objects += static_cast<double>(n);
    ctx.SetCounter("objects", objects);
  }

 private:
  static constexpr std::size_t kDistinctFrames = 256;
  static constexpr std::uint32_t kParticleBytes = 64;
  static constexpr std::uint32_t kVectorItemBytes = 16;
  struct Object {
    std::uint32_t size;  // bytes of a particle or string; 0 for a vector
    std::uint32_t vector_items;    // a vector's final item count; 0 otherwise
    std::uint32_t survive_frames;  // 0: dies with its frame
  };
  // The bytes a temporary holds at its frame's end: a vector's last block.
  static std::int64_t TemporaryBytes(const Object& o) {
    if (o.vector_items == 0) return o.size;
    std::uint32_t capacity = 4;
    while (capacity < o.vector_items) capacity *= 2;
    return static_cast<std::int64_t>(capacity) * kVectorItemBytes;
  }
  struct Survivor {
    CheckedBlock block;
    std::size_t dies_at_frame;
  };

  // A vector grown item by item to `items`, doubling from 4: returns its
  // final block in b (from `heap`), or false on failure. Each growth
  // allocates the doubled block and frees the old one; the items' copy is
  // not made (it is the same memcpy under every heap and allocator, and at
  // these sizes would outweigh the allocations the workload exists to show):
  // the new block is written as every object is. Live bytes go to `slot`.
  // The growing blocks stay in locals and `b` is stored once, at the end:
  // the caller's b is a slot in a table in memory.
  template <Heap Hv>
  bool GrowVector(Hv& heap, RunContext& ctx, int slot, CheckedBlock& b,
                  std::uint32_t items, std::uint64_t tag,
                  std::uint64_t& objects) const {
    std::uint32_t capacity = 4;
    CheckedBlock current;
    if (!AllocateChecked(heap, ctx, writer_, slot, current,
                         capacity * kVectorItemBytes, tag))
      return false;
    ++objects;
    while (capacity < items) {
      capacity *= 2;
      CheckedBlock grown;
      if (!AllocateChecked(heap, ctx, writer_, slot, grown,
                           capacity * kVectorItemBytes, tag))
        return false;
      ++objects;
      if (!FreeChecked(heap, ctx, writer_, slot, current)) return false;
      current = grown;
    }
    b = current;
    return true;
  }

  template <Heap H>
  void RunThread(RunContext& ctx, int t) {
    const auto& trace = traces_[static_cast<std::size_t>(t)];
    const std::size_t objects_per_frame = objects_per_frame_;
    const std::size_t distinct_frames = trace.size() / objects_per_frame;
    H frame_heap;
    typename SurvivorHeapOf<H>::type survivor_heap;
    CheckedBlock* const temporaries =
        temporaries_[static_cast<std::size_t>(t)].data();
    std::size_t temporary_count = 0;
    std::vector<Survivor> survivors;
    auto& latencies = ctx.Latencies(t);
    std::uint64_t objects = 0;
    const std::int64_t* const frame_bytes =
        frame_bytes_[static_cast<std::size_t>(t)].data();
    for (std::size_t frame = 0; frame < frames_; ++frame) {
      if (ctx.failed()) return;
      const std::int64_t start = NowNs();
      const std::size_t distinct_frame = frame % distinct_frames;
      const Object* const frame_objects =
          trace.data() + distinct_frame * objects_per_frame;
      ctx.AddLive(t, frame_bytes[distinct_frame]);
      for (std::size_t i = 0; i < objects_per_frame; ++i) {
        const std::uint64_t tag = frame * objects_per_frame + i;
        const Object& o = frame_objects[i];
        bool ok;
        if (o.survive_frames > 0) {
          CheckedBlock b;
          ok = o.vector_items > 0
                   ? GrowVector(survivor_heap, ctx, t, b, o.vector_items, tag,
                                objects)
                   : (++objects, AllocateChecked(survivor_heap, ctx, writer_, t,
                                                 b, o.size, tag));
          if (ok) survivors.push_back({b, frame + o.survive_frames});
        } else {
          // Made in its slot of the table, so that the block is stored once
          // and read back once, at the frame's end. Its bytes were counted
          // with the frame's, at its start.
          CheckedBlock& b = temporaries[temporary_count];
          ok = o.vector_items > 0
                   ? GrowVector(frame_heap, ctx, kNoLiveAccounting, b,
                                o.vector_items, tag, objects)
                   : (++objects,
                      AllocateChecked(frame_heap, ctx, writer_,
                                      kNoLiveAccounting, b, o.size, tag));
          if (ok) ++temporary_count;
        }
        if (!ok) return;
      }
      // The end of the frame: temporaries die, then expired survivors.
      if (frame % check_every_ == 0) {
        for (std::size_t i = 0; i < temporary_count; ++i)
          if (kReleasesInBulk<H>
                  ? !VerifyChecked(ctx, writer_, temporaries[i])
                  : !FreeChecked(frame_heap, ctx, writer_, kNoLiveAccounting,
                                 temporaries[i]))
            return;
      } else if constexpr (!kReleasesInBulk<H>) {
        for (std::size_t i = 0; i < temporary_count; ++i)
          frame_heap.Deallocate(temporaries[i].p, temporaries[i].size,
                                alignof(std::max_align_t));
      }
      ctx.AddLive(t, -frame_bytes[distinct_frame]);
      temporary_count = 0;
      frame_heap.Reset();
      std::size_t kept = 0;
      for (Survivor& s : survivors) {
        if (s.dies_at_frame > frame) {
          survivors[kept++] = s;
        } else if (!FreeChecked(survivor_heap, ctx, writer_, t, s.block)) {
          return;
        }
      }
      survivors.resize(kept);
      latencies.push_back(NowNs() - start);
    }
    for (Survivor& s : survivors)
      if (!FreeChecked(survivor_heap, ctx, writer_, t, s.block)) return;
    ctx.AddOps(t, static_cast<std::int64_t>(frames_));
    objects_[static_cast<std::size_t>(t)] = objects;
  }

  std::size_t frames_;
  std::size_t objects_per_frame_;
  BlockWriter writer_;
  std::size_t check_every_;  // frames; 1 under --verify full
  // Per thread: min(frames, kDistinctFrames) * objects_per_frame.
  std::vector<std::vector<Object>> traces_;
  // Per thread and distinct frame: its temporaries' bytes at its end.
  std::vector<std::vector<std::int64_t>> frame_bytes_;
  std::vector<std::uint64_t> objects_;  // per thread: blocks allocated
  std::vector<std::vector<CheckedBlock>> temporaries_;  // per thread
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<FrameArena>({
    .name = "frame_arena",
    .summary =
        "game-frame loop: many temporaries per frame, a few survive k frames",
    .params =
        {
            {"frames", "frames per thread", 100, 6000, 20000, 1},
            {"objects_per_frame",
             "objects allocated per frame (a vector counts once)", 2000, 2000,
             2000, 1},
            {"survivor_permille", "objects per 1000 that outlive their frame",
             20, 20, 20, 0},
            {"max_survivor_frames", "survivors live 1 to this many frames", 8,
             8, 8, 1},
            {"max_vector_items",
             "largest final size of a growing vector (16-byte items)", 256, 256,
             256, 1},
            {"write_bytes", "bytes written from each object's start", 64, 64,
             64, 0},
            {"check_every",
             "check a frame's temporaries at its end on one frame in this "
             "many (--verify full: every frame)",
             16, 16, 16, 1},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kArena, HeapKind::kPmrMonotonic},
    .max_threads = 64,
    .ops_unit = "frames",
    .cost_weight = 0.6,
    .check = [](const Params& p) -> std::string {
      if (p.at("survivor_permille") > 1000)
        return "survivor_permille is above 1000";
      if (p.at("max_vector_items") > (1 << 24))
        return "max_vector_items is above 2^24";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
