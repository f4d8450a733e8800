// A block that a workload allocates, fills and checks before freeing: the
// three steps every workload repeats, with the failure reasons and live-byte
// accounting in one place (churn.cc spells them out; the rest use these).
#ifndef ALLOCMARK_WORKLOADS_CHECKED_BLOCK_H_
#define ALLOCMARK_WORKLOADS_CHECKED_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "allocators/heap.h"
#include "workloads/block_check.h"
#include "workloads/run_context.h"

namespace allocmark {

struct CheckedBlock {
  void* p = nullptr;
  std::size_t size = 0;
  std::uint64_t tag = 0;
};

// Pass as `slot` when the caller accounts live bytes itself (blocks that
// another thread frees: see cross_thread_live.h).
inline constexpr int kNoLiveAccounting = -1;

// Allocates size_bytes from `heap`, fills it with the pattern of `tag` and adds
// it to the live bytes of `slot`. On NULL, records the failure in ctx and
// returns false (b.p stays nullptr).
template <Heap H>
bool AllocateChecked(H& heap, RunContext& ctx, int slot, CheckedBlock& b,
                     std::size_t size_bytes, std::uint64_t tag,
                     std::size_t align_bytes = alignof(std::max_align_t)) {
  b.p = heap.Allocate(size_bytes, align_bytes);
  if (b.p == nullptr) {
    ctx.Fail("allocation of " + std::to_string(size_bytes) +
             " bytes returned NULL");
    return false;
  }
  b.size = size_bytes;
  b.tag = tag;
  FillBlock(b.p, size_bytes, tag);
  if (slot != kNoLiveAccounting)
    ctx.AddLive(slot, static_cast<std::int64_t>(size_bytes));
  return true;
}

// Records in ctx why block b no longer holds its pattern; returns false when
// it does not, true when it is intact.
inline bool VerifyChecked(RunContext& ctx, const CheckedBlock& b) {
  if (CheckBlock(b.p, b.size, b.tag)) return true;
  ctx.Fail("block of " + std::to_string(b.size) + " bytes (request " +
           std::to_string(b.tag) + ") was changed while live");
  return false;
}

// Verifies block b, gives it back to `heap` and removes it from the live bytes
// of `slot`. On a changed byte, records the failure and returns false without
// freeing.
template <Heap H>
bool FreeChecked(H& heap, RunContext& ctx, int slot, CheckedBlock& b,
                 std::size_t align_bytes = alignof(std::max_align_t)) {
  if (!VerifyChecked(ctx, b)) return false;
  heap.Deallocate(b.p, b.size, align_bytes);
  if (slot != kNoLiveAccounting)
    ctx.AddLive(slot, -static_cast<std::int64_t>(b.size));
  b.p = nullptr;
  return true;
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_CHECKED_BLOCK_H_
