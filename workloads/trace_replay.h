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
// decompressing a chunk per thread at a time, and keeps 24 bytes per call
// plus 16 per block; a trace whose calls contradict each other fails the
// cell with the place.
#ifndef ALLOCMARK_WORKLOADS_TRACE_REPLAY_H_
#define ALLOCMARK_WORKLOADS_TRACE_REPLAY_H_

#include <memory>
#include <string>

#include "workloads/support/workload.h"

namespace allocmark {

inline constexpr char kReplayTraceVariable[] = "ALLOCMARK_REPLAY_TRACE";
inline constexpr char kReplayWorkload[] = "replay";

// The instance for `config` (threads: the trace's thread count) replaying
// the trace named by $ALLOCMARK_REPLAY_TRACE; nullptr with *error set when
// the variable is unset or the file is not a readable trace.
std::unique_ptr<WorkloadInstance> MakeReplayInstance(
    const WorkloadConfig& config, std::string* error);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_TRACE_REPLAY_H_
