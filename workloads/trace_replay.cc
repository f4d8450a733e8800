#include "workloads/trace_replay.h"

#include <malloc.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <type_traits>
#include <vector>

#include "base/temp_dir.h"
#include "record/trace_events.h"
#include "workloads/replay_calls.h"
#include "workloads/support/block_check.h"
#include "workloads/support/cross_thread_live.h"

namespace allocmark {
namespace replay {
namespace {

[[gnu::cold, gnu::noinline]] void FailAt(RunContext& ctx, int thread,
                                         std::uint64_t index, const char* what,
                                         std::uint64_t size) {
  ctx.Fail("replay thread " + std::to_string(thread) + ", its call " +
           std::to_string(index) + ": " + what + " (" + std::to_string(size) +
           " bytes)");
}

// Waits until `s` holds `state`, which another thread's earlier call sets;
// false when the cell failed meanwhile.
bool Await(RunContext& ctx, const Slot& s, std::uint64_t state) {
  while (s.state.load(std::memory_order_acquire) != state) {
    if (ctx.failed()) return false;
    std::this_thread::yield();
  }
  return true;
}

// The first min(8, size) bytes of the canary head, after a realloc moved
// them: the block's start must arrive intact.
bool HeadMoved(const void* p, std::size_t old_size, std::size_t new_size,
               std::uint64_t tag) {
  const std::size_t n = std::min<std::size_t>({8, old_size, new_size});
  const std::uint64_t head = CanaryHead(tag);
  return std::memcmp(p, &head, n) == 0;
}

std::size_t Align(const ReplayOp& op) {
  return op.align_log2 == 0 ? alignof(std::max_align_t)
                            : std::size_t{1} << op.align_log2;
}

// The program's own entry points, for the malloc heap.
void* AcquireMalloc(const ReplayOp& op) {
  const std::size_t size = op.size;
  const auto align = std::align_val_t{Align(op)};
  switch (op.op) {
    case Op::kMalloc:
      return std::malloc(size);
    case Op::kCalloc:
      return std::calloc(1, size);
    case Op::kRealloc:
    case Op::kReallocarray:
      return std::realloc(nullptr, size);
    case Op::kPosixMemalign: {
      void* p = nullptr;
      return posix_memalign(&p, Align(op), size) == 0 ? p : nullptr;
    }
    case Op::kAlignedAlloc:
      return std::aligned_alloc(Align(op), size);
    case Op::kMemalign:
      return memalign(Align(op), size);
    case Op::kValloc:
      return valloc(size);
    case Op::kPvalloc:
      return pvalloc(size);
    case Op::kNew:
      return ::operator new(size, std::nothrow);
    case Op::kNewArray:
      return ::operator new[](size, std::nothrow);
    case Op::kNewAligned:
      return ::operator new(size, align, std::nothrow);
    case Op::kNewArrayAligned:
      return ::operator new[](size, align, std::nothrow);
    default:
      return nullptr;
  }
}

// The release the program made, whichever call made the block: a program
// that frees new'd memory is replayed doing so.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-dealloc"
#endif
void ReleaseMalloc(const ReplayOp& op, void* p,
                   [[maybe_unused]] std::size_t size) {
  const auto align = std::align_val_t{Align(op)};
  switch (op.op) {
    case Op::kDelete:
      return ::operator delete(p);
    case Op::kDeleteArray:
      return ::operator delete[](p);
#if defined(__cpp_sized_deallocation)
    case Op::kDeleteSized:
      return ::operator delete(p, size);
    case Op::kDeleteArraySized:
      return ::operator delete[](p, size);
    case Op::kDeleteSizedAligned:
      return ::operator delete(p, size, align);
    case Op::kDeleteArraySizedAligned:
      return ::operator delete[](p, size, align);
#else  // a compiler without sized deallocation (clang's default)
    case Op::kDeleteSized:
      return ::operator delete(p);
    case Op::kDeleteArraySized:
      return ::operator delete[](p);
    case Op::kDeleteSizedAligned:
      return ::operator delete(p, align);
    case Op::kDeleteArraySizedAligned:
      return ::operator delete[](p, align);
#endif
    case Op::kDeleteAligned:
      return ::operator delete(p, align);
    case Op::kDeleteArrayAligned:
      return ::operator delete[](p, align);
    case Op::kRealloc:
    case Op::kReallocarray:  // realloc(p, 0): glibc frees p
      if (void* q = std::realloc(p, 0)) std::free(q);
      return;
    default:
      return std::free(p);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

class TraceReplay final : public WorkloadInstance {
 public:
  TraceReplay(std::string path, const WorkloadConfig& config,
              std::uint64_t slot_lag)
      : path_(std::move(path)), threads_(config.threads), slot_lag_(slot_lag) {
    trace::TraceFile file(path_);  // throws TraceError
    std::uint64_t h = file.events();
    for (const auto& c : file.chunks())
      h = h * 0x100000001b3ULL ^ (c.header.checksum + c.header.stored_bytes);
    checksum_ = h;
    if (file.threads() != static_cast<std::uint32_t>(threads_))
      throw trace::TraceError(
          path_, 0,
          "the trace has " + std::to_string(file.threads()) +
              " threads, the cell " + std::to_string(threads_));
  }

  std::uint64_t RequestChecksum() const override { return checksum_; }

  void Prepare(RunContext& ctx) override {
    try {
      WriteCalls(ctx);
    } catch (const std::exception& e) {
      ctx.Fail(e.what());
    }
  }

  void Run(HeapKind heap, RunContext& ctx) override {
    if (ctx.failed()) return;
    // Once per Prepare (the child runs one iteration): the reader and the
    // slots are Prepare's.
    if (!WithHeap(heap, [&]<Heap H>() { RunOn<H>(ctx); }))
      ctx.Fail("heap not built into this binary");
    ctx.SetCounter("trace_peak_live_bytes", static_cast<double>(trace_peak_));
    ctx.SetCounter("cross_thread_frees",
                   static_cast<double>(cross_thread_releases_));
    ctx.SetCounter("replay_slots", static_cast<double>(slots_.size()));
    ctx.SetCounter("cross_thread_slot_reuses",
                   static_cast<double>(cross_thread_reuses_));
    ctx.SetCounter("late_call_windows",
                   static_cast<double>(reader_->late_windows()));
  }

 private:
  // Resolves the trace into each thread's calls, written to its file, and
  // sizes the slots and the windows. Throws on a contradiction, a trace of
  // more than 2^32 blocks (so of as many slots), or a file not written.
  void WriteCalls(RunContext& ctx) {
    trace::TraceFile file(path_);
    trace::TraceCalls calls(file, /*strict=*/true);
    const std::string dir = TempRoot();
    const auto threads = static_cast<std::uint32_t>(threads_);
    std::vector<std::unique_ptr<CallFile>> files;
    for (std::uint32_t t = 0; t < threads; ++t)
      files.push_back(std::make_unique<CallFile>(dir));
    SlotPlanner planner(threads, slot_lag_);
    trace::Call c;
    while (calls.Next(c)) {
      if (c.failed) continue;
      if (calls.blocks() > 0xffffffffULL)
        throw trace::TraceContradiction(path_ + ": more than 2^32 blocks");
      const auto released = static_cast<std::uint32_t>(c.released.id);
      const auto acquired = static_cast<std::uint32_t>(c.acquired.id);
      ReplayOp op;
      op.op = c.op;
      op.size = c.size;
      op.align_log2 = c.align_log2;
      if (c.releases) {
        op.flags |= kReleases;
        op.release_id = released;
        if (c.released.thread != c.thread) {
          op.flags |= kWait;
          ++cross_thread_releases_;
        }
      }
      if (c.acquires) {
        op.flags |= kAcquires;
        op.acquire_id = acquired;
      }
      if (c.releases && c.acquires) {
        op.slot = planner.Move(released, acquired);
      } else if (c.releases) {
        op.slot = planner.Release(c.thread, c.number, released);
        op.size = c.released.size;
      } else {
        const SlotPlanner::Grant g =
            planner.Acquire(c.thread, c.number, acquired);
        op.slot = g.slot;
        if (g.wait) {
          op.flags |= kWaitFree;
          op.release_id = g.previous;
          ++cross_thread_reuses_;
        }
      }
      files[c.thread]->Append(op);
      trace_peak_ = std::max(trace_peak_, c.live_bytes);
    }
    for (auto& f : files) f->Finish();
    reader_ = std::make_unique<CallReader>(std::move(files), ctx);
    slots_ = std::vector<Slot>(planner.slots());
  }

  template <Heap H>
  void RunOn(RunContext& ctx) {
    reader_->Start();
    if (threads_ == 1) {
      RunThread<H>(ctx, 0, [&](std::int64_t d) { ctx.AddLive(0, d); });
      reader_->Join();
      return;
    }
    // Blocks freed by another thread: each thread counts its own change and
    // this thread publishes the sum (cross_thread_live.h).
    CrossThreadLive live(threads_);
    std::atomic<int> running{threads_};
    std::vector<std::thread> workers;
    for (int t = 0; t < threads_; ++t)
      workers.emplace_back([&, t] {
        RunThread<H>(ctx, t, [&](std::int64_t d) { live.Add(t, d); });
        running.fetch_sub(1);
      });
    while (running.load() > 0) {
      live.Publish(ctx, 0);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (auto& w : workers) w.join();
    reader_->Join();
    live.Publish(ctx, 0);
  }

  // Thread t's calls, a window at a time as the reader has them.
  template <Heap H, class Live>
  void RunThread(RunContext& ctx, int t, Live&& add_live) {
    H heap;
    const auto ti = static_cast<std::size_t>(t);
    struct Leaving {
      CallReader& reader;
      std::size_t t;
      ~Leaving() { reader.Leave(t); }
    } leaving{*reader_, ti};
    const std::uint64_t total = reader_->ops(ti);
    constexpr bool kMalloc = std::is_same_v<H, MallocHeap>;
    for (std::uint32_t w = 0; std::uint64_t{w} * kWindowOps < total; ++w) {
      std::size_t n = 0;
      const ReplayOp* window = reader_->Window(ctx, ti, w, &n);
      if (window == nullptr) [[unlikely]]
        return;
      const std::uint64_t first = std::uint64_t{w} * kWindowOps;
      for (std::size_t i = 0; i < n; ++i) {
        PrefetchCall(window, i);
        const ReplayOp& op = window[i];
        Slot& s = slots_[op.slot];
        void* old = nullptr;
        std::uint64_t old_size = 0;
        if (op.flags & kReleases) {
          if ((op.flags & kWait) && !Await(ctx, s, LiveState(op.release_id)))
            return;
          old = s.p;
          old_size = s.size;
          if (!CheckCanary(old, old_size, op.release_id)) [[unlikely]]
            return FailAt(ctx, t, first + i, "a block was changed while live",
                          old_size);
        } else if ((op.flags & kWaitFree) &&
                   !Await(ctx, s, ReleasedState(op.release_id))) {
          return;
        }
        void* p = nullptr;
        if ((op.flags & kAcquires) && (op.flags & kReleases)) {  // realloc
          if constexpr (kMalloc) {
            p = std::realloc(old, op.size);
          } else {
            p = heap.Allocate(op.size, Align(op));
            if (p != nullptr) {
              std::memcpy(p, old, std::min(old_size, op.size));
              heap.Deallocate(old, old_size, Align(op));
            }
          }
          if (p == nullptr) [[unlikely]]
            return FailAt(ctx, t, first + i, "realloc returned NULL", op.size);
          if (!HeadMoved(p, old_size, op.size, op.release_id)) [[unlikely]]
            return FailAt(ctx, t, first + i,
                          "realloc lost the block's first bytes", op.size);
        } else if (op.flags & kAcquires) {
          if constexpr (kMalloc) {
            p = AcquireMalloc(op);
          } else {
            std::size_t align = Align(op);
            if (op.op == Op::kValloc || op.op == Op::kPvalloc) align = 4096;
            p = heap.Allocate(op.size, align);
            if (p != nullptr && op.op == Op::kCalloc)
              std::memset(p, 0, op.size);
          }
          if (p == nullptr) [[unlikely]]
            return FailAt(ctx, t, first + i, "allocation returned NULL",
                          op.size);
        } else {
          if constexpr (kMalloc)
            ReleaseMalloc(op, old, old_size);
          else
            heap.Deallocate(old, old_size, Align(op));
          s.state.store(ReleasedState(op.release_id),
                        std::memory_order_release);
        }
        if (op.flags & kReleases)
          add_live(-static_cast<std::int64_t>(old_size));
        if (op.flags & kAcquires) {
          WriteCanary(p, op.size, op.acquire_id);
          s.p = p;
          s.size = op.size;
          s.state.store(LiveState(op.acquire_id), std::memory_order_release);
          add_live(static_cast<std::int64_t>(op.size));
        }
      }
      reader_->Done(ti, w);
    }
    ctx.AddOps(t, static_cast<std::int64_t>(total));
  }

  std::string path_;
  int threads_;
  std::uint64_t slot_lag_;
  std::uint64_t checksum_ = 0;
  std::unique_ptr<CallReader> reader_;
  std::vector<Slot> slots_;
  std::int64_t trace_peak_ = 0;
  std::uint64_t cross_thread_releases_ = 0;
  std::uint64_t cross_thread_reuses_ = 0;
};

// The slot lag: kSlotLag, or the smaller one of $ALLOCMARK_REPLAY_SLOT_LAG;
// false with *error set for any other value.
bool SlotLag(std::uint64_t* lag, std::string* error) {
  *lag = kSlotLag;
  const char* text = std::getenv(kReplaySlotLagVariable);
  if (text == nullptr || text[0] == '\0') return true;
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 ||
      value > kSlotLag) {
    *error = std::string("$") + kReplaySlotLagVariable + " is '" + text +
             "': it takes a number of calls from 0 to " +
             std::to_string(kSlotLag);
    return false;
  }
  *lag = value;
  return true;
}

}  // namespace
}  // namespace replay

std::unique_ptr<WorkloadInstance> MakeReplayInstance(
    const WorkloadConfig& config, std::string* error) {
  const char* path = std::getenv(kReplayTraceVariable);
  if (path == nullptr || path[0] == '\0') {
    *error = std::string("$") + kReplayTraceVariable +
             " names no trace (allocmark replay sets it)";
    return nullptr;
  }
  std::uint64_t lag = 0;
  if (!replay::SlotLag(&lag, error)) return nullptr;
  try {
    return std::make_unique<replay::TraceReplay>(path, config, lag);
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}

}  // namespace allocmark
