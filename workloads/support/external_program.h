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
// Which allocator serves the program is proven from inside it: a probe
// library (liballocmark-probe.so, child/probe/allocmark_probe.c) is
// preloaded after the allocator, and every process of the program's tree
// reports from its constructor which object its malloc calls reach
// (workloads/support/probe_report.h). The program is proven when that object is
// the preloaded library (libc for glibc) in the program and in every descendant
// that loaded the probe; an allocator linked into the executable, or a
// descendant served by another allocator, fails the program with the object
// that serves malloc named. A process that does not load the probe (static,
// setuid, or started with a cleared environment) is not seen, and a program
// that does not is not proven.
//
// Recording (`allocmark record --workloads`): the driver names a directory
// in $ALLOCMARK_RECORD_PROGRAMS, and the child a stem in it per cell
// (DIR/<workload>-t<threads>). While $ALLOCMARK_RECORD_STEM
// and $ALLOCMARK_RECORD_LIBRARY are set, each program under test gets the
// recorder (record/recorder.cc) preloaded in front of the allocator and
// records to STEM.trace (the first program of the process), STEM-2.trace ...
// Its probe then finds the recorder serving malloc, and the proof expects
// it; the trace's header names the object the recorder forwards to, which
// the driver checks.
//
// The whole tree is measured: in a cgroup of its own when the machine allows
// one (base/cgroup.h: v2's memory.peak, cpu.stat and memory.stat, or their
// cgroup v1 counterparts on hybrid hosts), otherwise from /proc
// (base/process_tree.h: the sampler sums the tree's resident sets; the child
// adopts orphans as their subreaper and adds wait4's resource use of every
// process it reaps to the program's). ProgramMemoryMethod() says which.
//
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_EXTERNAL_PROGRAM_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_EXTERNAL_PROGRAM_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/cgroup.h"
#include "base/process.h"
#include "base/temp_dir.h"
#include "workloads/support/run_context.h"

namespace allocmark {

inline constexpr char kRecordProgramsVariable[] = "ALLOCMARK_RECORD_PROGRAMS";
inline constexpr char kRecordProgramStemVariable[] = "ALLOCMARK_RECORD_STEM";
inline constexpr char kRecordLibraryVariable[] = "ALLOCMARK_RECORD_LIBRARY";

struct ProgramSpec {
  std::vector<std::string> argv;  // argv[0]: an absolute path (FindExecutable,
                                  // base/executable.h)
  bool under_test = true;         // false: a helper, started without LD_PRELOAD
  std::string stdin_path;         // empty: /dev/null
  std::string output_path;        // stdout and stderr; empty: /dev/null
  std::string working_dir;        // empty: the child's
  std::vector<std::pair<std::string, std::string>> env;  // variables to set
};

// How a program ended: how its process ended, whether it was killed at its
// time limit (signal is 0 then), whether its tree was served by the allocator
// expected, and what the whole tree used.
struct ProgramExit : ProcessExit {
  bool timed_out = false;
  // A program under test whose tree the probe did not prove: why not.
  std::string proof_error;
  ProgramUsage tree;  // the program and all its descendants

  bool ok() const {
    return !timed_out && proof_error.empty() && ProcessExit::ok();
  }
  // "exited with status 1", "killed by SIGSEGV", "timed out after 30 s", or
  // the proof's error when the program exited well.
  std::string Describe(double timeout_s) const;
  ProgramUsage Usage() const { return tree; }
};

// The canonical path of the C library this process loaded: what serves
// malloc in a program under glibc.
std::string LibcPath();

// How the programs under test are measured on this machine: "cgroup" or
// "proc-tree" (decided once per process; see above).
std::string ProgramMemoryMethod();

// One started program; destroying it kills its process group and reaps it.
class Program {
 public:
  // Starts the program; returns "" or why it could not start (exec's error).
  std::string Start(const ProgramSpec& spec);
  pid_t pid() const { return process_.pid(); }
  bool running() const { return process_.running(); }
  // True once the program has exited (it stays unreaped until Wait or Stop).
  bool HasExited() const { return process_.HasExited(); }

  // Waits (up to 10 s) until the program's probe reports, or the program
  // exits, then checks that the library expected to serve malloc serves it.
  // Returns "" when proven, else why not. Call right after Start(); Wait and
  // Stop check the whole tree again once it has ended.
  std::string ProveAllocator();
  // The canonical path of the library that serves malloc in programs under
  // test: the child's first LD_PRELOAD entry, or libc when there is none
  // (the recorder, while recording).
  static std::string ExpectedMallocLibrary();
  // The probe library: $ALLOCMARK_PROBE_LIBRARY, else liballocmark-probe.so
  // beside the running executable (allocmark-child, in the build tree).
  static std::string ProbeLibrary();

  // Waits for the program to exit; after timeout_s (0: no limit) kills its
  // group. Clears ctx's measured pid, when given, before reaping. Whatever
  // the program left running is killed then, and reaped.
  ProgramExit Wait(double timeout_s, RunContext* ctx = nullptr);
  // SIGTERM to the group, then SIGKILL after grace_s; returns how it ended.
  ProgramExit Stop(double grace_s, RunContext* ctx = nullptr);

 private:
  Process process_;
  bool under_test_ = false;
  std::unique_ptr<TempDir> probe_dir_;  // the probe's report file
  std::unique_ptr<Cgroup> cgroup_;      // the tree's, when the method is one
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

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_EXTERNAL_PROGRAM_H_
