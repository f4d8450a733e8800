// Running a real program inside a workload: the helper the real-program
// workloads (program_*.cc) and `allocmark-child exec` share.
//
// A program under test inherits the child's LD_PRELOAD, so it runs under the
// allocator the child was preloaded with; under glibc (no preload) it gets
// LD_PRELOAD=<libc>, so that glibc's malloc serves it even when it links an
// allocator of its own (Debian's redis-server links libjemalloc.so.2). A
// helper program that is not measured (a load generator such as
// redis-benchmark) runs with no preload at all.
//
// Which allocator serves the program is proven from outside it: its
// /proc/PID/maps must show the preloaded library (libc for glibc) once the
// dynamic loader has mapped its dependencies; ld.so searches preloaded objects
// before the program's own dependencies, so that library's malloc is the one
// every call binds to.
//
// Every program runs in its own process group with SIGKILL as its
// parent-death signal (base/process.h): a program is never left running,
// whether the workload stops it, fails, or the driver kills the child at its
// time limit.
#ifndef ALLOCMARK_WORKLOADS_EXTERNAL_PROGRAM_H_
#define ALLOCMARK_WORKLOADS_EXTERNAL_PROGRAM_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/process.h"
#include "workloads/run_context.h"

namespace allocmark {

struct ProgramSpec {
  std::vector<std::string> argv;  // argv[0]: an absolute path (FindExecutable,
                                  // base/executable.h)
  bool under_test = true;         // false: a helper, started without LD_PRELOAD
  std::string stdin_path;         // empty: /dev/null
  std::string output_path;        // stdout and stderr; empty: /dev/null
  std::string working_dir;        // empty: the child's
  std::vector<std::pair<std::string, std::string>> env;  // variables to set
};

// How a program ended: how its process ended, and whether it was killed at
// its time limit (signal is 0 then).
struct ProgramExit : ProcessExit {
  bool timed_out = false;

  bool ok() const { return !timed_out && ProcessExit::ok(); }
  // "exited with status 1", "killed by SIGSEGV", "timed out after 30 s".
  std::string Describe(double timeout_s) const;
  ProgramUsage Usage() const;
};

// One started program; destroying it kills its process group and reaps it.
class Program {
 public:
  // Starts the program; returns "" or why it could not start (exec's error).
  std::string Start(const ProgramSpec& spec);
  pid_t pid() const { return process_.pid(); }
  bool running() const { return process_.running(); }
  // True once the program has exited (it stays unreaped until Wait or Stop).
  bool HasExited() const { return process_.HasExited(); }

  // Waits (up to 10 s) until the loader has mapped the program's libraries,
  // then checks that the library expected to serve malloc is mapped. Returns
  // "" when proven, else why not. Call right after Start().
  std::string ProveAllocator();
  // The canonical path of the library that serves malloc in programs under
  // test: the child's first LD_PRELOAD entry, or libc when there is none.
  static std::string ExpectedMallocLibrary();

  // Waits for the program to exit; after timeout_s (0: no limit) kills its
  // group. Clears ctx's measured pid, when given, before reaping.
  ProgramExit Wait(double timeout_s, RunContext* ctx = nullptr);
  // SIGTERM to the group, then SIGKILL after grace_s; returns how it ended.
  ProgramExit Stop(double grace_s, RunContext* ctx = nullptr);

 private:
  Process process_;
};

// Runs a program under test to completion as the measured process: start,
// prove its allocator, sample it, wait, and add its figures to ctx. Any
// failure (cannot start, wrong allocator, non-zero exit, time-out) goes to
// ctx.Fail with the last lines of its output; returns nullopt then.
std::optional<ProgramExit> RunMeasuredProgram(const ProgramSpec& spec,
                                              double timeout_s,
                                              RunContext& ctx);

// The path of a file shipped in workloads/data/ (ALLOCMARK_WORKLOAD_DATA
// overrides the directory, for an installed or moved tree).
std::string WorkloadDataPath(const std::string& name);

// The text after "KEY: " on the last line of a file that starts so; nullopt
// when none does. How a shipped script reports its checksum or its count.
std::optional<std::string> OutputValue(const std::string& path,
                                       const std::string& key);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_EXTERNAL_PROGRAM_H_
