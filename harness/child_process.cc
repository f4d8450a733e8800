#include "harness/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>

extern char** environ;

namespace allocmark {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void OnStopSignal(int) { g_stop = 1; }

std::vector<std::string> BuildEnvironment(const ChildSpec& spec) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!spec.env.contains(name)) env.push_back(entry);
  }
  for (const auto& [name, value] : spec.env)
    if (value) env.push_back(name + "=" + *value);
  return env;
}

// "512 MiB", "2.0 GiB".
std::string Size(std::int64_t bytes) {
  char buf[32];
  double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (mib < 1024)
    std::snprintf(buf, sizeof(buf), "%.0f MiB", mib);
  else
    std::snprintf(buf, sizeof(buf), "%.1f GiB", mib / 1024.0);
  return buf;
}

// Resident set of process `pid` in bytes; 0 when it cannot be read.
std::int64_t ResidentBytes(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/%d/statm", static_cast<int>(pid));
  std::FILE* f = std::fopen(path, "r");
  if (f == nullptr) return 0;
  long long size = 0, resident = 0;
  int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  return n == 2 ? resident * sysconf(_SC_PAGESIZE) : 0;
}

}  // namespace

std::string ChildOutcome::Describe(const ChildSpec& spec) const {
  if (!started) return "could not start: " + error;
  if (interrupted) return "interrupted";
  if (timed_out) {
    // Whole seconds as given ("60 s"), fractions as given ("0.3 s").
    std::ostringstream limit;
    limit << spec.timeout_s;
    return "timed out after " + limit.str() + " s";
  }
  if (over_memory)
    return "exceeded the memory limit of " + Size(spec.max_rss_bytes) +
           " (resident " + Size(rss_at_kill_bytes) + ")";
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return std::string("killed by SIG") +
           (name != nullptr ? name : std::to_string(signal).c_str());
  }
  return "exited with status " + std::to_string(exit_code);
}

ChildOutcome RunChild(const ChildSpec& spec) {
  ChildOutcome outcome;
  std::vector<std::string> env = BuildEnvironment(spec);
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out_fd = -1;
  if (!spec.output_path.empty()) {
    out_fd = open(spec.output_path.c_str(),
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      outcome.error = spec.output_path + ": " + std::strerror(errno);
      return outcome;
    }
  }
  // A pipe closed on exec tells the parent whether exec succeeded.
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    outcome.error = std::string("pipe: ") + std::strerror(errno);
    if (out_fd >= 0) close(out_fd);
    return outcome;
  }
  auto start = std::chrono::steady_clock::now();
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    outcome.error = std::string("fork: ") + std::strerror(errno);
    close(status_pipe[0]);
    close(status_pipe[1]);
    if (out_fd >= 0) close(out_fd);
    return outcome;
  }
  if (pid == 0) {
    setpgid(0, 0);
    // A driver that dies without its handlers (SIGKILL, a crash) takes the
    // child with it instead of leaving it to run on unrecorded.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (out_fd >= 0) {
      dup2(out_fd, STDOUT_FILENO);
      dup2(out_fd, STDERR_FILENO);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execve(argv[0], argv.data(), envp.data());
    int err = errno;
    ssize_t ignored = write(status_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);
  close(status_pipe[1]);
  if (out_fd >= 0) close(out_fd);
  int exec_errno = 0;
  ssize_t n = read(status_pipe[0], &exec_errno, sizeof(exec_errno));
  close(status_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    waitpid(pid, nullptr, 0);
    outcome.error = spec.argv[0] + ": " + std::strerror(exec_errno);
    return outcome;
  }
  outcome.started = true;

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  int status = 0;
  rusage usage{};
  for (;;) {
    pid_t done = wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    bool over = spec.timeout_s > 0 && elapsed > spec.timeout_s;
    if (spec.max_rss_bytes > 0) {
      std::int64_t rss = ResidentBytes(pid);
      if (rss > spec.max_rss_bytes) {
        outcome.over_memory = true;
        outcome.rss_at_kill_bytes = rss;
      }
    }
    if (over || g_stop || outcome.over_memory) {
      outcome.timed_out = over && !g_stop;
      outcome.interrupted = g_stop != 0;
      kill(-pid, SIGKILL);
      wait4(pid, &status, 0, &usage);
      break;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, spec.max_rss_bytes > 0 ? 20 : 100);
    } else {
      usleep(10000);
    }
  }
  if (pidfd >= 0) close(pidfd);
  // Whatever the child left in its group goes with it.
  kill(-pid, SIGKILL);
  outcome.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  outcome.max_rss_kib = usage.ru_maxrss;
  // A peak shorter than the polling interval still shows in the child's
  // high-water mark: a cell that went over the limit fails even if it ended.
  const std::int64_t peak_bytes =
      static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
  if (spec.max_rss_bytes > 0 && peak_bytes > spec.max_rss_bytes &&
      !outcome.timed_out && !outcome.interrupted) {
    outcome.over_memory = true;
    outcome.rss_at_kill_bytes = std::max(outcome.rss_at_kill_bytes, peak_bytes);
  }
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status) && !outcome.timed_out && !outcome.interrupted &&
      !outcome.over_memory)
    outcome.signal = WTERMSIG(status);
  return outcome;
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop != 0; }

}  // namespace allocmark
