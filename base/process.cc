#include "base/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/check.h"

extern char** environ;

namespace allocmark {
namespace {

// What the new process sends up the status pipe when it cannot exec.
struct StartFailure {
  enum Step : int { kCgroup, kChdir, kExec } step;
  int error;
};

// This process's environment with the spec's changes.
std::vector<std::string> Environment(const SpawnSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (!spec.env.contains(entry.substr(0, entry.find('='))))
      env.push_back(std::move(entry));
  }
  for (const auto& [name, value] : spec.env)
    if (value) env.push_back(name + "=" + *value);
  return env;
}

std::vector<char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const auto& s : strings)
    pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

std::string Error(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

// Between fork and exec: async-signal-safe calls only.
[[noreturn]] void ExecChild(pid_t parent, int in_fd, int out_fd,
                            const std::vector<int>& cgroup_fds,
                            const char* working_dir, char* const* argv,
                            char* const* envp, int status_fd) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the parent died before prctl
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  dup2(in_fd, STDIN_FILENO);
  if (out_fd >= 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
  }
  StartFailure failure{StartFailure::kCgroup, 0};
  // "0" moves the writer itself. Reading the vector allocates nothing.
  bool entered = true;
  for (std::size_t i = 0; entered && i < cgroup_fds.size(); ++i)
    entered = write(cgroup_fds[i], "0", 1) == 1;
  if (entered) {
    failure.step = StartFailure::kChdir;
    if (working_dir == nullptr || chdir(working_dir) == 0) {
      execve(argv[0], argv, envp);
      failure.step = StartFailure::kExec;
    }
  }
  failure.error = errno;
  ssize_t ignored = write(status_fd, &failure, sizeof(failure));
  (void)ignored;
  _exit(127);
}

}  // namespace

std::string DescribeExit(int exit_code, int signal) {
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return std::string("killed by SIG") +
           (name != nullptr ? name : std::to_string(signal));
  }
  return "exited with status " + std::to_string(exit_code);
}

Process::~Process() {
  if (pid_ > 0) {
    SignalGroup(SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string Process::Start(const SpawnSpec& spec) {
  ALLOCMARK_CHECK(!running()) << "a Process runs one program at a time";
  if (spec.argv.empty()) return "no command";
  const std::vector<std::string> env = Environment(spec);
  std::vector<char*> argv = Pointers(spec.argv);
  std::vector<char*> envp = Pointers(env);
  const std::string in_path =
      spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path;
  int in_fd = open(in_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in_fd < 0) return Error(in_path, errno);
  int out_fd = -1;
  if (!spec.output_path.empty()) {
    out_fd = open(spec.output_path.c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      int error = errno;
      close(in_fd);
      return Error(spec.output_path, error);
    }
  }
  // Closed by a successful exec: the parent reads either nothing or why.
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    close(in_fd);
    if (out_fd >= 0) close(out_fd);
    return Error("pipe", error);
  }
  const pid_t parent = getpid();
  start_ = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0)
    ExecChild(parent, in_fd, out_fd, spec.cgroup_procs_fds,
              spec.working_dir.empty() ? nullptr : spec.working_dir.c_str(),
              argv.data(), envp.data(), status_pipe[1]);
  int fork_error = errno;
  close(in_fd);
  if (out_fd >= 0) close(out_fd);
  close(status_pipe[1]);
  if (pid < 0) {
    close(status_pipe[0]);
    return Error("fork", fork_error);
  }
  // Also here, so that the group exists before this returns, whichever of
  // the two runs first.
  setpgid(pid, pid);
  StartFailure failure{};
  ssize_t n;
  do {
    n = read(status_pipe[0], &failure, sizeof(failure));
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(failure))) {
    waitpid(pid, nullptr, 0);
    switch (failure.step) {
      case StartFailure::kExec:
        return Error(spec.argv[0], failure.error);
      case StartFailure::kChdir:
        return Error("cannot enter " + spec.working_dir, failure.error);
      case StartFailure::kCgroup:
        return Error("cannot enter its cgroup", failure.error);
    }
  }
  pid_ = pid;
  return "";
}

double Process::ElapsedS() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start_)
      .count();
}

bool Process::HasExited() const {
  if (!running()) return true;
  siginfo_t info{};
  // WNOWAIT: see the exit, leave the zombie for Reap (and its rusage).
  return waitid(P_PID, static_cast<id_t>(pid_), &info,
                WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid_;
}

bool Process::AwaitExit(int poll_ms, const std::function<bool()>& give_up) {
  ALLOCMARK_CHECK(running());
  // A pidfd wakes the poll the moment the process exits; without one (an old
  // kernel) the loop sleeps.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  bool exited = false;
  for (;;) {
    if (HasExited()) {
      exited = true;
      break;
    }
    if (give_up()) break;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, poll_ms);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    }
  }
  if (pidfd >= 0) close(pidfd);
  return exited;
}

void Process::SignalGroup(int signal) {
  ALLOCMARK_CHECK(running());
  kill(-pid_, signal);
}

ProcessExit Process::Reap() {
  ALLOCMARK_CHECK(running());
  // While the process is a zombie its pid, and so its group's id, cannot be
  // reused: what is left of the group is killed then if it can be.
  const bool exited = HasExited();
  if (exited) SignalGroup(SIGKILL);
  ProcessExit exit;
  int status = 0;
  pid_t reaped;
  do {
    reaped = wait4(pid_, &status, 0, &exit.usage);
  } while (reaped < 0 && errno == EINTR);
  exit.wall_s = ElapsedS();
  if (!exited) SignalGroup(SIGKILL);
  if (WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) exit.signal = WTERMSIG(status);
  pid_ = -1;
  return exit;
}

}  // namespace allocmark
