// `allocmark run`: expands the matrix, probes the allocators, runs every cell
// in its own child with progress, writes the run's files as it goes, and
// ends with the summary. `--resume DIR` runs only the cells a run is missing.
#ifndef ALLOCMARK_HARNESS_RUN_COMMAND_H_
#define ALLOCMARK_HARNESS_RUN_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/cell_runner.h"

namespace allocmark {

struct RunOptions {
  std::string workloads = ".*";
  std::vector<std::string> allocators;
  std::vector<std::string> custom_allocators;  // NAME=/path
  std::vector<std::string> heaps;
  // Empty: each workload's default thread counts for the profile (matrix.h).
  std::vector<int> threads;
  // The core count the default thread counts were made for: the usable CPUs
  // when they depend on it (no --threads, quick or full), else 0; read back
  // from run.json on --resume.
  int cores = 0;
  std::optional<int> reps;  // unset: the profile's default
  std::string profile = "quick";
  std::vector<std::string> params;
  std::string out = "results";
  std::string run_id;  // empty: from the clock
  std::string resume;  // a run directory to complete
  double timeout_s = 600;
  int sample_interval_us = kDefaultSampleIntervalUs;
  std::uint64_t seed = 1;
  std::string verify = "canary";  // --verify: canary or full (block_check.h)
  std::string max_rss;  // per-cell memory limit: bytes, or with K/M/G suffix
  std::string shard;    // "I/N": run only this part of the matrix
  // --until-stable: after `reps`, add interleaved repetitions of each
  // configuration whose ratio-vs-baseline 95% CI has a relative half-width
  // above stable_target, until none has or max_reps is reached.
  bool until_stable = false;
  double stable_target = 0.05;
  int max_reps = 12;
  bool callgrind = false;
  // --perf: the allocator's share of rep 0's time by sampling (perf_pass.h)
  bool perf = false;  // instructions_per_op of rep 0 under callgrind
  std::string command_line;
  // The command making the run (run_session.h): "record" for a recording,
  // which no command resumes.
  std::string subcommand = "run";
};

// Returns the exit status (exit_status.h): kExitOk when every cell is ok,
// kExitCellsFailed when some failed, kExitInterrupted when interrupted.
// Throws UsageError for bad input, before any cell runs.
int RunCommand(RunOptions options);

// The path of allocmark-child: beside the running allocmark binary.
std::string ChildPath();

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_RUN_COMMAND_H_
