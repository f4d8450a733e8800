// `allocmark exec [--allocators LIST] [--reps N] [--name NAME] [--out DIR]
// [--timeout S] -- COMMAND ARGS...`: measures a command of the user's as one
// cell per allocator and repetition (interleaved as `run` does), into a run
// like any other: run.json, cells.jsonl rows with workload NAME and heap
// "malloc", a timeseries CSV per cell sampled from outside the program. Each
// cell is `allocmark-child exec -- COMMAND...` (child/exec.h).
#ifndef ALLOCMARK_HARNESS_EXEC_COMMAND_H_
#define ALLOCMARK_HARNESS_EXEC_COMMAND_H_

#include <string>
#include <vector>

#include "harness/cell_runner.h"

namespace allocmark {

struct ExecOptions {
  std::vector<std::string> allocators;         // empty: every installed one
  std::vector<std::string> custom_allocators;  // NAME=/path
  int reps = 3;
  std::string name;  // the cells' workload; empty: the command's basename
  std::string out = "results";
  std::string run_id;  // empty: from the clock
  double timeout_s = 600;
  int sample_interval_us = kDefaultSampleIntervalUs;
  std::vector<std::string> command;
  std::string command_line;
  std::string
      resume;  // a run directory to complete: only its missing cells run
};

// Returns the exit status (exit_status.h): kExitOk when every cell is ok,
// kExitCellsFailed when some failed, kExitInterrupted when interrupted.
// Throws UsageError, before anything runs, for a command that is not an
// executable file, an unknown allocator or a bad option.
int ExecCommand(ExecOptions options);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_EXEC_COMMAND_H_
