// xmalloc: cross-thread free at a high rate: threads that only allocate,
// threads that only free.
//
// Models: the asymmetric hand-off at full speed: T allocating threads fill
// batches of `batch_objects` blocks and push them onto one queue shared by
// all; T freeing threads pop whichever batch comes and free every block in
// it. Every block dies on a thread that never allocates, and on any of the
// freeing threads, so an allocator with per-thread caches must send it home
// (or leak it into the freeing thread's cache). Written from xmalloc-test
// (C. Lever and D. Boreham, "malloc() Performance in a Multithreaded Linux
// Environment", USENIX 2000; the version the allocator suites run as
// `xmalloc-test -w T -t 5 -s 64`): a batch is itself a heap block holding
// its blocks' addresses, allocated by the allocating thread and freed by the
// freeing one. The hand-off is the original's: a stack of batches under one
// mutex, at most `queue_batches` deep, so the newest batch is freed first
// (its blocks are still in the cache); an allocating thread sleeps on a
// condition variable while the stack is full, a freeing thread while it is
// empty. (A lock-free ring first in, first out, spinning then yielding, freed
// the oldest batch, 26 MB of blocks behind, and at 2T threads on T cores
// its spinning made the cells' times swing by 2 to 3x between repetitions.)
// Here each allocating thread makes `batches` batches (a fixed amount of
// work rather than 5 s), so every allocator meets the same requests; the
// batches left when the allocating threads are done are freed inside the
// timed region.
// Sizes: every block `object_size_bytes` (the suites' -s 64), or with 0 the
// original's mix: one of its 17 sizes from 8 to 2048 bytes, picked uniformly.
// Threads: the cell's `threads` T is the number of allocating threads and of
// freeing threads, so a cell runs 2T threads (as -w T does).
// Heaps: malloc and slab-mt (heaps that accept cross-thread frees).
// Parameters: see kParams. ops counts blocks (allocated on one thread, freed
// on another).
// Writes: what xmalloc-test writes into each new block, its first
// min(size, 128) bytes (a memset), with the canary (block_check.h).
// Checks itself: the canary, checked by the freeing thread (every byte with
// --verify full). Live bytes (the blocks and the batches that hold them):
// cross_thread_live.h, published before and
// after each batch is freed by the freeing thread that frees it, one at a
// time (a thread that finds another publishing skips).
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "workloads/support/checked_block.h"
#include "workloads/support/cross_thread_live.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

// xmalloc-test's sizes for -s -1.
constexpr std::array<std::uint32_t, 17> kMixedSizes = {
    8,   12,  16,  24,  32,  48,   64,   96,  128,
    192, 256, 384, 512, 768, 1024, 1536, 2048};

class Xmalloc {
 public:
  explicit Xmalloc(const WorkloadConfig& config)
      : workers_(config.threads),
        batches_(config.GetSize("batches")),
        batch_objects_(config.GetSize("batch_objects")),
        queue_batches_(config.GetSize("queue_batches")),
        object_size_(
            static_cast<std::uint32_t>(config.GetSize("object_size_bytes"))),
        writer_(config.verify, 128),
        sizes_(static_cast<std::size_t>(workers_)) {
    for (std::uint64_t word :
         {static_cast<std::uint64_t>(workers_), std::uint64_t{batches_},
          std::uint64_t{batch_objects_}, std::uint64_t{object_size_}})
      hash_.Add(word);
    if (object_size_ != 0) return;
    for (std::size_t t = 0; t < sizes_.size(); ++t) {
      Rng rng = StreamRng(config.seed, t);
      sizes_[t].resize(batches_ * batch_objects_);
      for (auto& size : sizes_[t]) {
        size = kMixedSizes[rng.Below(kMixedSizes.size())];
        hash_.Add(size);
      }
    }
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    if constexpr (!AcceptsCrossThreadFree<H>) {
      ctx.Fail(std::string("xmalloc frees blocks on other threads; heap '") +
               H::kName + "' does not accept that");
    } else {
      RunWorkers<H>(ctx);
    }
  }

 private:
  // A batch as the heap holds it: this header, then the addresses of its
  // batch_objects_ blocks.
  struct Batch {
    Batch* next;  // the batch below it on the stack
    std::uint32_t worker;
    std::uint32_t number;
    void** Objects() { return reinterpret_cast<void**>(this + 1); }
  };
  static_assert(sizeof(Batch) % alignof(void*) == 0);

  // xmalloc-test's hand-off (see the header). A waiting thread wakes at
  // least every 10 ms to see whether the cell has failed.
  class BatchStack {
   public:
    BatchStack(std::size_t limit, int allocating)
        : limit_(limit), allocating_(allocating) {}

    // Waits while the stack is full; false when stop() turns true.
    template <class Stop>
    bool Push(Batch* batch, Stop&& stop) {
      std::unique_lock<std::mutex> lock(mutex_);
      while (depth_ >= limit_) {
        if (stop()) return false;
        not_full_.wait_for(lock, kStopPoll);
      }
      batch->next = top_;
      top_ = batch;
      ++depth_;
      not_empty_.notify_one();
      return true;
    }
    // The newest batch; waits while the stack is empty. nullptr once every
    // allocating thread is done and the stack is empty, or stop() is true.
    template <class Stop>
    Batch* Pop(Stop&& stop) {
      std::unique_lock<std::mutex> lock(mutex_);
      while (top_ == nullptr) {
        if (allocating_ == 0 || stop()) return nullptr;
        not_empty_.wait_for(lock, kStopPoll);
      }
      Batch* batch = top_;
      top_ = batch->next;
      --depth_;
      not_full_.notify_one();
      return batch;
    }
    // An allocating thread has pushed its last batch.
    void AllocatorDone() {
      std::lock_guard<std::mutex> lock(mutex_);
      if (--allocating_ == 0) not_empty_.notify_all();
    }

   private:
    static constexpr std::chrono::milliseconds kStopPoll{10};
    std::mutex mutex_;
    std::condition_variable not_full_;
    std::condition_variable not_empty_;
    Batch* top_ = nullptr;
    std::size_t depth_ = 0;
    const std::size_t limit_;
    int allocating_;
  };

  std::size_t BatchBytes() const {
    return sizeof(Batch) + batch_objects_ * sizeof(void*);
  }
  std::uint32_t SizeOf(std::uint32_t worker, std::size_t k) const {
    return object_size_ != 0 ? object_size_ : sizes_[worker][k];
  }
  static std::uint64_t Tag(std::uint32_t worker, std::size_t k) {
    return (static_cast<std::uint64_t>(worker) << 40) | k;
  }

  template <Heap H>
  void RunWorkers(RunContext& ctx) {
    BatchStack stack(queue_batches_, workers_);
    CrossThreadLive live(2 * workers_);
    // One publisher at a time, whichever freeing thread holds the flag: a
    // thread that never gets a batch must not leave the live bytes unseen.
    std::atomic_flag publishing = ATOMIC_FLAG_INIT;
    auto publish = [&] {
      if (publishing.test_and_set(std::memory_order_acquire)) return;
      live.Publish(ctx, 0);
      publishing.clear(std::memory_order_release);
    };
    auto stop = [&ctx] { return ctx.failed(); };
    const std::size_t batch_bytes = BatchBytes();

    auto allocate = [&](int w) {
      H heap;
      const auto worker = static_cast<std::uint32_t>(w);
      for (std::size_t n = 0; n < batches_; ++n) {
        auto* batch = static_cast<Batch*>(
            heap.Allocate(batch_bytes, alignof(std::max_align_t)));
        if (batch == nullptr) [[unlikely]] {
          FailNull(ctx, batch_bytes);
          break;
        }
        batch->worker = worker;
        batch->number = static_cast<std::uint32_t>(n);
        void** objects = batch->Objects();
        // The batch is a block the pattern asked for, as its blocks are.
        auto allocated = static_cast<std::int64_t>(batch_bytes);
        bool ok = true;
        for (std::size_t i = 0; i < batch_objects_; ++i) {
          const std::size_t k = n * batch_objects_ + i;
          const std::uint32_t size = SizeOf(worker, k);
          void* p = heap.Allocate(size, alignof(std::max_align_t));
          if (p == nullptr) [[unlikely]] {
            FailNull(ctx, size);
            ok = false;
            break;
          }
          writer_.Write(p, size, Tag(worker, k));
          objects[i] = p;
          allocated += size;
        }
        if (!ok) break;
        live.Add(w, allocated);
        if (!stack.Push(batch, stop)) break;
      }
      stack.AllocatorDone();
    };

    auto release = [&](int f) {
      H heap;
      const int counter = workers_ + f;
      std::int64_t freed_objects = 0;
      while (Batch* batch = stack.Pop(stop)) {
        publish();  // while this batch is live
        void** objects = batch->Objects();
        auto freed = static_cast<std::int64_t>(batch_bytes);
        for (std::size_t i = 0; i < batch_objects_; ++i) {
          const std::size_t k = batch->number * batch_objects_ + i;
          const std::uint32_t size = SizeOf(batch->worker, k);
          const std::uint64_t tag = Tag(batch->worker, k);
          if (!writer_.Check(objects[i], size, tag)) [[unlikely]] {
            FailChanged(ctx, size, tag, "between the threads");
            return;
          }
          heap.Deallocate(objects[i], size, alignof(std::max_align_t));
          freed += size;
        }
        heap.Deallocate(batch, batch_bytes, alignof(std::max_align_t));
        live.Add(counter, -freed);
        publish();
        freed_objects += static_cast<std::int64_t>(batch_objects_);
      }
      ctx.AddOps(f, freed_objects);
    };

    std::vector<std::thread> threads;
    for (int f = 0; f < workers_; ++f) threads.emplace_back(release, f);
    for (int w = 0; w < workers_; ++w) threads.emplace_back(allocate, w);
    for (auto& t : threads) t.join();
    live.Publish(ctx, 0);
  }

  int workers_;
  std::size_t batches_;
  std::size_t batch_objects_;
  std::size_t queue_batches_;
  std::uint32_t object_size_;  // 0: the original's mix of sizes
  BlockWriter writer_;
  std::vector<std::vector<std::uint32_t>> sizes_;  // per worker, mixed only
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Xmalloc>({
    .name = "xmalloc",
    .summary = "xmalloc-test: allocating threads hand batches to purely "
               "freeing threads through one stack",
    .params =
        {
            {"batches", "batches per allocating thread", 10, 2800, 10000, 1},
            {"batch_objects", "blocks per batch", 4096, 4096, 4096, 1},
            {"queue_batches", "batches the stack holds", 100, 100, 100, 1},
            {"object_size_bytes",
             "size of every block (0: the original's mix, 8 to 2048)", 64, 64,
             64, 0},
        },
    .heaps = {HeapKind::kMalloc, HeapKind::kSlabMt},
    .max_threads = 128,
    .ops_unit = "blocks",
    .cost_weight = 0.6,
    .check = [](const Params& p) -> std::string {
      if (p.at("object_size_bytes") > UINT32_MAX)
        return "object_size_bytes is above 4 GiB";
      if (p.at("queue_batches") > 1 << 20) return "queue_batches is above 2^20";
      if (p.at("batch_objects") > 1 << 24) return "batch_objects is above 2^24";
      // A block's tag is its worker << 40 | its index; batch numbers are 32
      // bits.
      if (p.at("batches") > UINT32_MAX) return "batches is above 2^32";
      if (p.at("batches") >
          ((std::int64_t{1} << 40) - 1) / p.at("batch_objects"))
        return "batches * batch_objects is not below 2^40";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
