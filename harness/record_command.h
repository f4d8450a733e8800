// `allocmark record [-o FILE] [--allocator NAME] -- COMMAND ARGS...`: runs
// the command with the recorder (record/recorder.cc) preloaded in front of
// the process allocator asked for (glibc by default), so that every
// allocation call it makes goes to FILE (record/trace_format.h). Processes it
// forks, and programs it executes, record to FILE.PID beside it.
#ifndef ALLOCMARK_HARNESS_RECORD_COMMAND_H_
#define ALLOCMARK_HARNESS_RECORD_COMMAND_H_

#include <string>
#include <vector>

namespace allocmark {

struct RecordOptions {
  std::string out = "allocmark.trace";
  std::string allocator = "glibc";
  std::vector<std::string> custom_allocators;  // NAME=/path
  std::vector<std::string> command;
};

// Returns the command's exit status (128 + the signal that ended it), once
// the trace is written and read back. Throws UsageError before the command
// runs (no command, not executable, unknown allocator, no recorder library)
// and when the trace cannot be read back.
int RecordCommand(const RecordOptions& options);

// The recorder library beside the allocmark executable; "" when missing.
std::string RecorderLibrary();

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_RECORD_COMMAND_H_
