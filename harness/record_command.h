// `allocmark record [-o FILE] [--allocator NAME] -- COMMAND ARGS...`: runs
// the command with the recorder (record/recorder.cc) preloaded in front of
// the process allocator asked for (glibc by default), so that every
// allocation call it makes goes to FILE (record/trace_format.h). Processes it
// forks, and programs it executes, record to FILE.PID beside it.
//
// `allocmark record --workloads REGEX [-o DIR] [--profile P] [--param ...]`:
// records the programs of the real-program workloads (program_*) as
// `allocmark run` runs them, one repetition of each cell on heap malloc under
// the allocator. DIR is that run's directory (run.json, cells.jsonl: the
// programs' figures under the recorder) with the traces in DIR/traces,
// <workload>-t<threads>.trace per cell (external_program.h). Each trace's
// header must name the allocator's object as the one its calls reached;
// DIR/traces/traces.json lists them with their sizes.
#ifndef ALLOCMARK_HARNESS_RECORD_COMMAND_H_
#define ALLOCMARK_HARNESS_RECORD_COMMAND_H_

#include <string>
#include <vector>

namespace allocmark {

struct RecordOptions {
  std::string out;  // "": allocmark.trace, or traces/ with --workloads
  std::string allocator = "glibc";
  std::vector<std::string> custom_allocators;  // NAME=/path
  std::vector<std::string> command;
  // --workloads: the program_* workloads to record instead of a command.
  std::string workloads;
  std::string profile = "quick";
  std::vector<std::string> params;
  std::string command_line;
};

// Returns the command's exit status (128 + the signal that ended it), once
// the trace is written and read back; with --workloads, the run's
// (exit_status.h), kExitCellsFailed also when a trace is missing or was
// served by another allocator. Throws UsageError before the command
// runs (no command, not executable, unknown allocator, no recorder library)
// and when the trace cannot be read back.
int RecordCommand(const RecordOptions& options);

// The recorder library beside the allocmark executable; "" when missing.
std::string RecorderLibrary();

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_RECORD_COMMAND_H_
