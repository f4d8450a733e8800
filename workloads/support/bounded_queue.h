// A bounded multi-producer multi-consumer queue of trivially copyable items,
// for the threads of cross-thread workloads. It never allocates after
// construction, so the only allocations a workload measures are its own.
// The algorithm is the sequence-numbered ring of D. Vyukov's published
// "bounded MPMC queue": each cell carries a sequence number that says whether
// it is free for the producer of ticket n (seq == n) or full for the consumer
// of ticket n (seq == n + 1). Waiting spins briefly, then yields, so more
// threads than cores still make progress.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_BOUNDED_QUEUE_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_BOUNDED_QUEUE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>

namespace allocmark {

// Spins 64 times, then yields the CPU at every call; for wait loops.
class Backoff {
 public:
  void Pause() {
    if (++spins_ < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else {
      std::this_thread::yield();
    }
  }

 private:
  int spins_ = 0;
};

template <class T>
class BoundedQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  // Capacity is rounded up to a power of two, at least 2.
  explicit BoundedQueue(std::size_t capacity) {
    std::size_t n = 2;
    while (n < capacity) n *= 2;
    mask_ = n - 1;
    cells_ = std::make_unique<Cell[]>(n);
    for (std::size_t i = 0; i < n; ++i)
      cells_[i].seq.store(i, std::memory_order_relaxed);
  }

  // Non-blocking; false when full.
  bool TryPush(const T& item) {
    std::size_t pos = tail_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      std::size_t seq = cell.seq.load(std::memory_order_acquire);
      auto diff =
          static_cast<std::ptrdiff_t>(seq) - static_cast<std::ptrdiff_t>(pos);
      if (diff == 0) {
        if (tail_.compare_exchange_weak(pos, pos + 1,
                                        std::memory_order_relaxed)) {
          cell.item = item;
          cell.seq.store(pos + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = tail_.load(std::memory_order_relaxed);
      }
    }
  }

  // Non-blocking; false when empty.
  bool TryPop(T& item) {
    std::size_t pos = head_.load(std::memory_order_relaxed);
    for (;;) {
      Cell& cell = cells_[pos & mask_];
      std::size_t seq = cell.seq.load(std::memory_order_acquire);
      auto diff = static_cast<std::ptrdiff_t>(seq) -
                  static_cast<std::ptrdiff_t>(pos + 1);
      if (diff == 0) {
        if (head_.compare_exchange_weak(pos, pos + 1,
                                        std::memory_order_relaxed)) {
          item = cell.item;
          cell.seq.store(pos + mask_ + 1, std::memory_order_release);
          return true;
        }
      } else if (diff < 0) {
        return false;
      } else {
        pos = head_.load(std::memory_order_relaxed);
      }
    }
  }

  // Blocking forms: wait while full (empty) unless stop() turns true, in
  // which case they return false.
  template <class Stop>
  bool Push(const T& item, Stop&& stop) {
    Backoff backoff;
    while (!TryPush(item)) {
      if (stop()) return false;
      backoff.Pause();
    }
    return true;
  }
  template <class Stop>
  bool Pop(T& item, Stop&& stop) {
    Backoff backoff;
    while (!TryPop(item)) {
      if (stop()) return false;
      backoff.Pause();
    }
    return true;
  }

 private:
  struct Cell {
    std::atomic<std::size_t> seq{0};
    T item{};
  };
  std::unique_ptr<Cell[]> cells_;
  std::size_t mask_ = 0;
  alignas(64) std::atomic<std::size_t> tail_{0};
  alignas(64) std::atomic<std::size_t> head_{0};
};

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_BOUNDED_QUEUE_H_
