// Starting a program and seeing it end: the one place allocmark forks. The
// driver starts allocmark-child with it (harness/child_process.h), and the
// child starts the real programs it measures
// (workloads/support/external_program.h).
//
// Every process runs in a process group of its own with SIGKILL as its
// parent-death signal, so that killing the group ends it and whatever it
// started, and a parent that dies without cleaning up (SIGKILL, a crash)
// takes it along instead of leaving it to run on unrecorded. Between fork
// and exec the new process makes only async-signal-safe calls: the parent may
// be threaded (the child's sampler, the workloads' threads).
#ifndef ALLOCMARK_BASE_PROCESS_H_
#define ALLOCMARK_BASE_PROCESS_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace allocmark {

struct SpawnSpec {
  std::vector<std::string> argv;  // argv[0]: the program's path (no PATH
                                  // search; see base/executable.h)
  // Variables to set (a value) or remove (nullopt) in the environment the
  // new process inherits from this one.
  std::map<std::string, std::optional<std::string>> env;
  std::string stdin_path;   // empty: /dev/null
  std::string output_path;  // stdout and stderr, truncated; empty: inherited
  std::string working_dir;  // empty: this process's
  // The cgroup.procs of the cgroups the new process enters before it execs,
  // open for writing (Cgroup::procs_fds, base/cgroup.h: one for cgroup v2,
  // one per hierarchy for v1). Empty: it stays in this process's.
  std::vector<int> cgroup_procs_fds;
};

// How a reaped process ended.
struct ProcessExit {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  double wall_s = 0;   // from Start() to the reaping
  rusage usage{};      // wait4's: the process and the children it reaped

  bool ok() const { return signal == 0 && exit_code == 0; }
};

// "exited with status 3" or "killed by SIGSEGV".
std::string DescribeExit(int exit_code, int signal);

// One started process. Destroying a process that is still running kills its
// group and reaps it.
class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts the program. Returns "" once it runs, or why it could not start,
  // naming what failed: "/bin/nope: No such file or directory" when exec
  // failed, the file or directory otherwise. Call once.
  std::string Start(const SpawnSpec& spec);

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // Seconds since Start().
  double ElapsedS() const;
  // True once the process has exited, reaped or not. Does not wait.
  bool HasExited() const;

  // Waits until the process exits, asking give_up() before each wait of at
  // most poll_ms milliseconds. Returns true once it has exited, left
  // unreaped (a zombie keeps its pid, so /proc and the group stay its own
  // until Reap()); false as soon as give_up() returns true, the process
  // still running. Precondition: running().
  bool AwaitExit(int poll_ms, const std::function<bool()>& give_up);

  // Sends `signal` to the process's whole group.
  void SignalGroup(int signal);

  // Waits for the process (blocking: signal it first to not wait), kills
  // whatever else is left in its group and tells how it ended. After it,
  // running() is false. Precondition: running().
  ProcessExit Reap();

 private:
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_PROCESS_H_
