// The driver's policy for one child process (allocmark-child, or a tool run
// around it): its time and memory limits, the driver's interrupt, and how it
// ended in the words a failed cell records. Starting and reaping it is
// base/process.h's: the child runs in its own process group so that a
// time-out or an interrupt kills it and anything it started.
#ifndef ALLOCMARK_HARNESS_CHILD_PROCESS_H_
#define ALLOCMARK_HARNESS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace allocmark {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is the program's path
  // Variables to set (a value) or remove (nullopt) in the inherited
  // environment.
  std::map<std::string, std::optional<std::string>> env;
  std::string output_path;  // stdout and stderr go here; empty: inherit
  double timeout_s = 0;     // 0: no limit
  // 0: no limit. The driver polls the child's resident set every 20 ms and
  // kills it above this; RLIMIT_AS would not do, since jemalloc and mimalloc
  // reserve far more address space than they touch.
  std::int64_t max_rss_bytes = 0;
};

struct ChildOutcome {
  bool started = false;  // false: fork or exec failed (see error)
  bool timed_out = false;
  bool interrupted = false;  // the driver was asked to stop (SIGINT/SIGTERM)
  bool over_memory = false;  // killed for exceeding max_rss_bytes
  std::int64_t rss_at_kill_bytes = 0;
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  double wall_s = 0;
  long max_rss_kib = 0;  // from wait4's rusage
  std::string error;     // why it did not start

  bool ok() const {
    return started && !timed_out && !interrupted && !over_memory &&
           signal == 0 && exit_code == 0;
  }
  // "exited with status 3", "killed by SIGSEGV", "timed out after 60 s",
  // "exceeded the memory limit of 2.0 GiB (resident 2.1 GiB)", ...
  std::string Describe(const ChildSpec& spec) const;
};

// Runs the child to completion (or its time limit) and reports how it ended.
// Returns early with interrupted=true, the child killed, once StopRequested().
ChildOutcome RunChild(const ChildSpec& spec);

// Installs SIGINT/SIGTERM handlers that make StopRequested() true; the
// running child is killed and the driver writes what it has before exiting.
void InstallStopHandlers();
bool StopRequested();

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CHILD_PROCESS_H_
