// The calls of a replay as its threads read them (workloads/trace_replay.h):
// each call in 24 bytes (ReplayOp), the slots that hold the live blocks and
// how Prepare assigns them (SlotPlanner), each replay thread's calls in a
// temporary file (CallFile) and the thread that reads them ahead of the
// replay (CallReader). Used by trace_replay.cc only.
#ifndef ALLOCMARK_WORKLOADS_REPLAY_CALLS_H_
#define ALLOCMARK_WORKLOADS_REPLAY_CALLS_H_

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "base/check.h"
#include "record/trace_format.h"
#include "workloads/support/run_context.h"

namespace allocmark::replay {

using trace::Op;

// One call of one thread, resolved to block ids and the slot that holds the
// block it releases or makes (a realloc's new block takes its old one's).
struct ReplayOp {
  std::uint64_t size = 0;
  std::uint32_t slot = 0;
  // The block released; with kWaitFree, the block the slot held before.
  std::uint32_t release_id = 0;
  std::uint32_t acquire_id = 0;
  Op op = Op::kMalloc;
  std::uint8_t align_log2 = 0;
  std::uint8_t flags = 0;
};
static_assert(sizeof(ReplayOp) == 24);
static_assert(std::is_trivially_copyable_v<ReplayOp>);
constexpr std::uint8_t kReleases = 1;
constexpr std::uint8_t kAcquires = 2;
constexpr std::uint8_t kWait = 4;      // the released block is another thread's
constexpr std::uint8_t kWaitFree = 8;  // the slot's previous block was too

// Calls a replay thread writes to its file at a time (64 KiB); calls read
// back at a time (a window of 96 KiB); windows read ahead of the thread.
constexpr std::size_t kWriteOps = 65536 / sizeof(ReplayOp);
constexpr std::size_t kWindowOps = 4096;
constexpr std::uint32_t kRingWindows = 16;
// How far ahead of its call a replay thread prefetches the calls (2.3 KiB):
// another core wrote them, and the hardware prefetcher alone leaves about a
// tenth of a fast allocator's time to waiting for them.
constexpr std::size_t kPrefetchOps = 96;

// Prefetches window[i + kPrefetchOps], past the window's end too (a prefetch
// never faults).
inline void PrefetchCall(const ReplayOp* window, std::size_t i) {
  __builtin_prefetch(
      reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(window) +
                                    (i + kPrefetchOps) * sizeof(ReplayOp)));
}

// Calls of the trace between a release by one thread and the reuse of its
// slot by another: replay threads run independently, so the releasing thread
// may still be behind, and the reuse waits for it; this far back it rarely
// is. $ALLOCMARK_REPLAY_SLOT_LAG lowers it (tests).
constexpr std::uint64_t kSlotLag = 65536;

// The place of a live block. `state` says which block the slot holds and
// whether it was released (LiveState, ReleasedState); the thread that writes p
// and size publishes it after them (release), and a thread that waits for it
// (acquire) reads them or writes the next block's only then.
constexpr std::uint64_t kEmptySlot = ~std::uint64_t{0};
constexpr std::uint64_t LiveState(std::uint32_t id) {
  return std::uint64_t{id} << 1;
}
constexpr std::uint64_t ReleasedState(std::uint32_t id) {
  return LiveState(id) | 1;
}

struct Slot {
  void* p = nullptr;
  std::uint64_t size = 0;
  std::atomic<std::uint64_t> state{kEmptySlot};
};

// Assigns the slots, in Prepare and in the trace's call order. A block takes
// a slot when it is made and gives it back when it is released; the slot is
// then reused
//  - by the thread that released it, at once and newest first (its program
//    order runs the release first);
//  - by another thread only once `lag` calls have passed since the release,
//    and that allocation waits until the slot's state says the release ran
//    (kWaitFree).
// Each wait, like that of a release for another thread's allocation, is for
// an earlier call of the trace, so the replay cannot deadlock: the earliest
// call not yet done waits for nothing.
//
// Bound: every slot holds a live block or waits for reuse; a new slot is
// made only when the allocating thread has none of its own and none is older
// than `lag`, so the waiting ones were all released in the last `lag` calls,
// at most one a call: slots <= peak live blocks + lag. A single-threaded
// trace takes exactly its peak live blocks.
class SlotPlanner {
 public:
  SlotPlanner(std::uint32_t threads, std::uint64_t lag)
      : lag_(lag), own_(threads) {}

  struct Grant {
    std::uint32_t slot = 0;
    bool wait = false;           // another thread released the slot ...
    std::uint32_t previous = 0;  // ... and this block of it
  };
  // The slot of `block`, made by `thread` at call `number`.
  Grant Acquire(std::uint32_t thread, std::uint64_t number,
                std::uint32_t block) {
    Age(number);
    Grant g;
    auto& own = own_[thread];
    if (!own.empty()) {
      g.slot = own.back().slot;
      own.pop_back();
    } else if (!aged_.empty()) {
      const Freed f = aged_.back();
      aged_.pop_back();
      g = {f.slot, f.thread != thread, f.block};
    } else {
      g.slot = static_cast<std::uint32_t>(slots_++);  // slots <= blocks
    }
    live_.emplace(block, g.slot);
    return g;
  }
  // The slot of `block`, released by `thread` at call `number`.
  std::uint32_t Release(std::uint32_t thread, std::uint64_t number,
                        std::uint32_t block) {
    Age(number);
    const Freed f{number, Take(block), block, thread};
    recent_.push_back(f);
    own_[thread].push_back(f);
    return f.slot;
  }
  // A realloc: the slot of `from`, which `to` now holds.
  std::uint32_t Move(std::uint32_t from, std::uint32_t to) {
    const std::uint32_t slot = Take(from);
    live_.emplace(to, slot);
    return slot;
  }
  std::uint64_t slots() const { return slots_; }

 private:
  struct Freed {
    std::uint64_t number;  // the call that released it
    std::uint32_t slot;
    std::uint32_t block;
    std::uint32_t thread;
  };

  std::uint32_t Take(std::uint32_t block) {
    auto it = live_.find(block);
    ALLOCMARK_CHECK(it != live_.end()) << "block " << block << " is not live";
    const std::uint32_t slot = it->second;
    live_.erase(it);
    return slot;
  }

  // Moves the releases `lag` calls old or older, not reused by their thread
  // meanwhile, to the slots any thread takes. recent_ and each own_ list are
  // in call order and a thread reuses from its list's end, so a release is
  // still in its list exactly when it is the list's first.
  void Age(std::uint64_t number) {
    while (!recent_.empty() && recent_.front().number + lag_ <= number) {
      const Freed f = recent_.front();
      recent_.pop_front();
      auto& own = own_[f.thread];
      if (!own.empty() && own.front().number == f.number) {
        own.pop_front();
        aged_.push_back(f);
      }
    }
  }

  std::uint64_t lag_;
  std::unordered_map<std::uint32_t, std::uint32_t> live_;  // block -> slot
  std::deque<Freed> recent_;            // releases of the last lag calls
  std::vector<std::deque<Freed>> own_;  // per thread: its, not yet reused
  std::vector<Freed> aged_;             // older, for any thread
  std::uint64_t slots_ = 0;
};

// One replay thread's calls, in an unnamed temporary file (gone with the
// process however it ends): appended through a buffer in Prepare, read back
// a window at a time in Run.
class CallFile {
 public:
  // Throws std::runtime_error, naming `dir`, when no file can be made there.
  explicit CallFile(std::string dir) : dir_(std::move(dir)) {
    fd_ = open(dir_.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0 &&
        (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
      // A file system without O_TMPFILE: a named file, unlinked at once.
      std::string name = dir_ + "/allocmark-replay-XXXXXX";
      fd_ = mkostemp(name.data(), O_CLOEXEC);
      if (fd_ >= 0) unlink(name.c_str());
    }
    if (fd_ < 0) Fail("cannot create a temporary file in");
    buffer_.reserve(kWriteOps);
  }
  ~CallFile() {
    if (fd_ >= 0) close(fd_);
  }
  CallFile(const CallFile&) = delete;
  CallFile& operator=(const CallFile&) = delete;

  // Throws std::runtime_error when the file cannot be written (a full disk).
  void Append(const ReplayOp& op) {
    buffer_.push_back(op);
    if (buffer_.size() == kWriteOps) Flush();
  }
  // After the last Append: writes what is buffered and frees the buffer.
  void Finish() {
    Flush();
    buffer_ = {};
    posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  std::uint64_t ops() const { return ops_; }
  const std::string& dir() const { return dir_; }

  // Reads `count` calls from call `first` on into `out`; false when the file
  // cannot be read (errno says why) or holds fewer.
  bool Read(std::uint64_t first, ReplayOp* out, std::size_t count) const {
    auto* bytes = reinterpret_cast<char*>(out);
    std::size_t want = count * sizeof(ReplayOp);
    auto offset = static_cast<off_t>(first * sizeof(ReplayOp));
    while (want > 0) {
      const ssize_t n = pread(fd_, bytes, want, offset);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) errno = EIO;  // the file holds fewer
      if (n <= 0) return false;
      bytes += n;
      want -= static_cast<std::size_t>(n);
      offset += n;
    }
    return true;
  }

 private:
  void Flush() {
    const auto* bytes = reinterpret_cast<const char*>(buffer_.data());
    std::size_t left = buffer_.size() * sizeof(ReplayOp);
    while (left > 0) {
      const ssize_t n = write(fd_, bytes, left);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) errno = EIO;
      if (n <= 0)
        Fail("cannot write the calls (24 bytes each) to a temporary file in");
      bytes += n;
      left -= static_cast<std::size_t>(n);
    }
    ops_ += buffer_.size();
    buffer_.clear();
  }
  [[noreturn]] void Fail(const char* what) const {
    const int error = errno;
    throw std::runtime_error("replay: " + std::string(what) + " " + dir_ +
                             ": " + std::strerror(error));
  }

  std::string dir_;
  int fd_ = -1;
  std::vector<ReplayOp> buffer_;
  std::uint64_t ops_ = 0;
};

// Reads the replay threads' calls ahead of them, on a thread of its own. A
// pread from the page cache costs about 2-3 ns a call, a fifth of a fast
// allocator's malloc and free: inside a replay thread's loop it would be
// timed with the allocator's work. So each replay thread has a ring of
// kRingWindows windows that the reader keeps filled (it sleeps while every ring
// is full and is woken when one is half empty), and a thread that finds its
// next window not read yet (the reader was not scheduled: a loaded machine)
// reads it itself into a spare window rather than wait. At worst the replay
// costs the thread's own reads, never a wait on the reader. The reader calls no
// allocator.
class CallReader {
 public:
  // Takes each replay thread's file, sizes its windows and reads its first
  // ones (Prepare: resident before the baseline, and untimed).
  CallReader(std::vector<std::unique_ptr<CallFile>> files, RunContext& ctx) {
    for (auto& file : files) {
      auto s = std::make_unique<Stream>();
      const std::uint64_t ops = file->ops();
      s->windows =
          static_cast<std::uint32_t>((ops + kWindowOps - 1) / kWindowOps);
      s->ring.resize(std::min<std::uint64_t>(kRingWindows * kWindowOps, ops));
      s->spare.resize(std::min<std::uint64_t>(kWindowOps, ops));
      s->file = std::move(file);
      streams_.push_back(std::move(s));
    }
    Fill(ctx);
  }

  std::uint64_t ops(std::size_t t) const { return streams_[t]->file->ops(); }
  // Windows the replay threads read themselves, the reader being late; after
  // Join.
  std::uint64_t late_windows() const {
    std::uint64_t n = 0;
    for (const auto& s : streams_) n += s->late;
    return n;
  }

  // Run (once per construction), before the replay threads start: reads
  // ahead from each thread's first call on, until each thread has its calls
  // or has left. No thread when the constructor's reads hold every call (a
  // thread's start would be the timed region's only cost of the reader).
  void Start() {
    for (const auto& s : streams_)
      if (s->windows > kRingWindows) {
        thread_ = std::thread([this] { ReadAhead(); });
        return;
      }
  }
  // After every replay thread has left.
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  // Thread t's window w: its calls from w * kWindowOps on, *count of them.
  // nullptr, with the cell failed, when they cannot be read.
  const ReplayOp* Window(RunContext& ctx, std::size_t t, std::uint32_t w,
                         std::size_t* count) {
    Stream& s = *streams_[t];
    const std::uint64_t first = std::uint64_t{w} * kWindowOps;
    *count = static_cast<std::size_t>(
        std::min<std::uint64_t>(kWindowOps, s.file->ops() - first));
    if (s.ready[w % kRingWindows].load(std::memory_order_acquire) == w + 1)
        [[likely]]
      return s.ring.data() + (w % kRingWindows) * kWindowOps;
    return ReadOwn(ctx, s, first, *count);
  }
  // Thread t is done with its window w; wakes the reader when it is less
  // than half a ring ahead.
  void Done(std::size_t t, std::uint32_t w) {
    Stream& s = *streams_[t];
    s.consumed.store(w + 1, std::memory_order_release);
    const std::uint32_t filled = s.filled.load(std::memory_order_relaxed);
    if (filled <= w + 1 + kRingWindows / 2 && filled < s.windows) [[unlikely]]
      Wake();
  }
  // Thread t reads no more: at its end, or when the cell failed.
  void Leave(std::size_t t) {
    Stream& s = *streams_[t];
    s.consumed.store(s.windows, std::memory_order_release);
    Wake();
  }

 private:
  struct Stream {
    std::unique_ptr<CallFile> file;
    std::vector<ReplayOp> ring;
    std::vector<ReplayOp> spare;  // a window the thread reads itself
    std::uint64_t late = 0;       // windows it did (its thread's)
    // A call makes or frees one of < 2^32 blocks: < 2^21 windows.
    std::uint32_t windows = 0;
    // Per ring window: 1 + the window it holds, once read; 0: none.
    std::array<std::atomic<std::uint32_t>, kRingWindows> ready{};
    alignas(64) std::atomic<std::uint32_t> filled{0};  // read ahead so far
    alignas(64) std::atomic<std::uint32_t> consumed{0};
  };

  // Every ring from window 0 on, on this thread; fails the cell when a file
  // cannot be read.
  void Fill(RunContext& ctx) {
    for (auto& sp : streams_) {
      Stream& s = *sp;
      for (std::uint32_t w = 0; w < std::min(kRingWindows, s.windows); ++w) {
        if (!ReadWindow(s, w)) return Failed(ctx, s, w * kWindowOps);
        s.ready[w].store(w + 1);
        s.filled.store(w + 1);
      }
    }
  }

  bool ReadWindow(Stream& s, std::uint32_t w) {
    const std::uint64_t first = std::uint64_t{w} * kWindowOps;
    return s.file->Read(first, s.ring.data() + (w % kRingWindows) * kWindowOps,
                        static_cast<std::size_t>(std::min<std::uint64_t>(
                            kWindowOps, s.file->ops() - first)));
  }

  [[gnu::cold, gnu::noinline]] const ReplayOp* ReadOwn(RunContext& ctx,
                                                       Stream& s,
                                                       std::uint64_t first,
                                                       std::size_t count) {
    Wake();
    ++s.late;
    if (s.file->Read(first, s.spare.data(), count)) return s.spare.data();
    Failed(ctx, s, first);
    return nullptr;
  }

  [[gnu::cold, gnu::noinline]] static void Failed(RunContext& ctx,
                                                  const Stream& s,
                                                  std::uint64_t first) {
    const int error = errno;
    ctx.Fail("replay: cannot read calls " + std::to_string(first) +
             " on back from a temporary file in " + s.file->dir() + ": " +
             std::strerror(error));
  }

  void Wake() {
    progress_.fetch_add(1, std::memory_order_release);
    progress_.notify_one();
  }

  // The reader's loop: a window per thread in turn, for each thread less
  // than a ring ahead; a thread that read ahead of it is followed from
  // where it is. A window it cannot read, the thread reads (and reports).
  void ReadAhead() {
    for (;;) {
      const std::uint32_t seen = progress_.load(std::memory_order_acquire);
      bool pending = false;
      bool read = false;
      for (auto& sp : streams_) {
        Stream& s = *sp;
        const std::uint32_t consumed =
            s.consumed.load(std::memory_order_acquire);
        const std::uint32_t next =
            std::max(s.filled.load(std::memory_order_relaxed), consumed);
        if (next == s.windows || consumed == s.windows) continue;
        pending = true;
        if (next - consumed == kRingWindows) continue;
        if (!ReadWindow(s, next)) return;
        s.ready[next % kRingWindows].store(next + 1, std::memory_order_release);
        s.filled.store(next + 1, std::memory_order_relaxed);
        read = true;
      }
      if (!pending) return;
      if (!read) progress_.wait(seen, std::memory_order_acquire);
    }
  }

  std::vector<std::unique_ptr<Stream>> streams_;
  alignas(64) std::atomic<std::uint32_t> progress_{0};
  std::thread thread_;
};

}  // namespace allocmark::replay

#endif  // ALLOCMARK_WORKLOADS_REPLAY_CALLS_H_
