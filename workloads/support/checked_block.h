// A block that a workload allocates, writes and checks before freeing: the
// three steps every workload repeats, with the failure reasons and live-byte
// accounting in one place. What is written and checked is the workload's
// BlockWriter (block_check.h).
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_CHECKED_BLOCK_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_CHECKED_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "allocators/heap.h"
#include "workloads/support/block_check.h"
#include "workloads/support/run_context.h"

namespace allocmark {

struct CheckedBlock {
  void* p = nullptr;
  std::size_t size = 0;
  std::uint64_t tag = 0;
};

// Pass as `slot` when the caller accounts live bytes itself (blocks that
// another thread frees: see cross_thread_live.h).
inline constexpr int kNoLiveAccounting = -1;

// Records in ctx that an allocation of size_bytes returned NULL. Out of line
// in the timed loops' callers: the message is built only on failure.
[[gnu::cold, gnu::noinline]] inline void FailNull(RunContext& ctx,
                                                  std::size_t size_bytes) {
  ctx.Fail("allocation of " + std::to_string(size_bytes) +
           " bytes returned NULL");
}

// Records in ctx that a block no longer holds what was written into it.
[[gnu::cold, gnu::noinline]] inline void FailChanged(RunContext& ctx,
                                                     std::size_t size_bytes,
                                                     std::uint64_t tag,
                                                     const char* where) {
  ctx.Fail("block of " + std::to_string(size_bytes) + " bytes (request " +
           std::to_string(tag) + ") was changed " + where);
}

// Allocates size_bytes from `heap`, writes it with `writer` for `tag` and adds
// it to the live bytes of `slot`. On NULL, records the failure in ctx and
// returns false (b.p stays nullptr).
template <Heap H>
bool AllocateChecked(H& heap, RunContext& ctx, const BlockWriter& writer,
                     int slot, CheckedBlock& b, std::size_t size_bytes,
                     std::uint64_t tag,
                     std::size_t align_bytes = alignof(std::max_align_t)) {
  b.p = heap.Allocate(size_bytes, align_bytes);
  if (b.p == nullptr) [[unlikely]] {
    FailNull(ctx, size_bytes);
    return false;
  }
  b.size = size_bytes;
  b.tag = tag;
  writer.Write(b.p, size_bytes, tag);
  if (slot != kNoLiveAccounting)
    ctx.AddLive(slot, static_cast<std::int64_t>(size_bytes));
  return true;
}

// Records in ctx why block b no longer holds what `writer` wrote; returns
// false when it does not, true when it is intact.
inline bool VerifyChecked(RunContext& ctx, const BlockWriter& writer,
                          const CheckedBlock& b) {
  if (writer.Check(b.p, b.size, b.tag)) [[likely]]
    return true;
  FailChanged(ctx, b.size, b.tag, "while live");
  return false;
}

// Verifies block b, gives it back to `heap` and removes it from the live bytes
// of `slot`. On a changed byte, records the failure and returns false without
// freeing.
template <Heap H>
bool FreeChecked(H& heap, RunContext& ctx, const BlockWriter& writer, int slot,
                 CheckedBlock& b,
                 std::size_t align_bytes = alignof(std::max_align_t)) {
  if (!VerifyChecked(ctx, writer, b)) return false;
  heap.Deallocate(b.p, b.size, align_bytes);
  if (slot != kNoLiveAccounting)
    ctx.AddLive(slot, -static_cast<std::int64_t>(b.size));
  b.p = nullptr;
  return true;
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_CHECKED_BLOCK_H_
