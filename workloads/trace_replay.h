// The replay of a recorded trace (record/trace_format.h) as a workload: what
// `allocmark replay` measures in each cell.
//
// Models: the recorded program's allocation calls, as it made them, with one
// replay thread per recorded thread; not the program's own work between
// calls (no think time: the calls run back to back) and not its accesses to
// its blocks beyond the first and last word. A release waits for its block's
// allocation when another thread made it, so cross-thread frees stay
// cross-thread. Blocks are named by id (record/trace_events.h), not by the
// recorded address.
//
// On malloc, each call goes to the entry point the program used (calloc,
// realloc, posix_memalign, the aligned and sized operator new and delete
// ...). On another heap (slab, slab-mt) blocks come from Allocate with the
// recorded size and alignment; a realloc is an allocation, a copy and a
// release.
//
// Checks: every block's canary (block_check.h, tagged by block id) is
// written when it is made and checked when it is released; a realloc checks
// that the block's first bytes moved with it. Live bytes are the trace's:
// the requested bytes of live blocks, so a single-threaded replay's peak is
// the recorded program's exactly; with more threads the replay's own
// interleaving is sampled, and the trace's peak is the counter
// trace_peak_live_bytes.
//
// The trace file's path comes from $ALLOCMARK_REPLAY_TRACE (the driver sets
// it: a path is no integer parameter). Prepare reads the trace once,
// decompressing a chunk per thread at a time, and writes each thread's calls,
// 24 bytes each, to an unnamed temporary file in $TMPDIR, which the driver
// points at a directory of the cell's own, removed when the cell ends; a full
// disk fails the cell naming the directory, and a trace whose calls
// contradict each other fails it with the place. Run reads the calls back
// 4096 at a time: a reader thread keeps 16 windows ahead of each replay
// thread (a pread from the page cache costs about a fifth of a fast
// allocator's call, so it runs beside the replay, not in its loop), and a
// replay thread whose next window is not read yet, on a loaded machine, reads
// it itself rather than wait (the counter late_call_windows says how often).
// The files stay in the page cache while memory allows; on a tmpfs they are
// memory, though not the child's resident set.
//
// Blocks live in slots of 24 bytes, reused once their block is released: at
// once by the thread that released it, by another thread only 65536 calls of
// the trace later, that allocation then waiting for the release as a
// cross-thread free waits for its block's allocation. Whatever the trace's
// length, the child holds 24 bytes per block of the trace's peak live blocks
// (plus at most 65536 slots where threads reuse each other's; none with one
// thread), 1.6 MiB of windows per replay thread, and while Prepare runs,
// about 100 bytes per live block to resolve the trace. A trace of more than
// 2^32 blocks fails the cell. The counters replay_slots and
// cross_thread_slot_reuses say how many slots the replay took and how many
// allocations took another thread's; $ALLOCMARK_REPLAY_SLOT_LAG (0 to 65536)
// lowers the 65536 calls, for tests.
#ifndef ALLOCMARK_WORKLOADS_TRACE_REPLAY_H_
#define ALLOCMARK_WORKLOADS_TRACE_REPLAY_H_

#include <memory>
#include <string>

#include "workloads/support/workload.h"

namespace allocmark {

inline constexpr char kReplayTraceVariable[] = "ALLOCMARK_REPLAY_TRACE";
inline constexpr char kReplayWorkload[] = "replay";
inline constexpr char kReplaySlotLagVariable[] = "ALLOCMARK_REPLAY_SLOT_LAG";

// The instance for `config` (threads: the trace's thread count) replaying
// the trace named by $ALLOCMARK_REPLAY_TRACE; nullptr with *error set when
// the variable is unset, the file is not a readable trace, or
// $ALLOCMARK_REPLAY_SLOT_LAG is out of range.
std::unique_ptr<WorkloadInstance> MakeReplayInstance(
    const WorkloadConfig& config, std::string* error);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_TRACE_REPLAY_H_
