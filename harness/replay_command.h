// `allocmark replay FILE [--allocators LIST] [--heaps LIST] [--reps N]
// [--out DIR] [--run-id ID] [--timeout S] [--sample-interval-us US]`, or
// `allocmark replay --resume DIR`: a run like `allocmark run`'s (run.json,
// cells.jsonl, proof, RSS series, summary) whose workload is a recorded
// trace (workloads/trace_replay.h), one cell per allocator, heap and
// repetition, repetitions interleaved across allocators.
//
// Heaps: malloc (every process allocator; the default), slab-mt, and slab
// when no block is freed by another thread than its own. Other heaps under
// the first allocator only, as `run` does. The arena is refused: a trace
// has no mark of the program's phases (frames, requests), and a reset
// guessed from the live bytes would free blocks the program still uses.
#ifndef ALLOCMARK_HARNESS_REPLAY_COMMAND_H_
#define ALLOCMARK_HARNESS_REPLAY_COMMAND_H_

#include <string>
#include <vector>

#include "harness/cell_runner.h"

namespace allocmark {

struct ReplayOptions {
  std::string trace;
  std::vector<std::string> allocators;         // empty: the default set
  std::vector<std::string> custom_allocators;  // NAME=/path
  std::vector<std::string> heaps;              // empty: malloc
  int reps = 3;
  std::string out = "results";
  std::string run_id;
  double timeout_s = 600;
  int sample_interval_us = kDefaultSampleIntervalUs;
  std::string resume;
  std::string command_line;
};

// Returns the exit status (exit_status.h). Throws UsageError before anything
// runs: a damaged, foreign or other-version trace (one line with the file
// and the offset), an unknown allocator or heap, a heap the trace cannot
// run on.
int ReplayCommand(ReplayOptions options);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_REPLAY_COMMAND_H_
