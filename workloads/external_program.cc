#include "workloads/external_program.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "allocators/process_allocators.h"

extern char** environ;

namespace allocmark {
namespace {

double NowS() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) +
         static_cast<double>(tv.tv_usec) * 1e-6;
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(path, ec);
  return ec ? path : canonical.string();
}

std::string LibcPath() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&gnu_get_libc_version), &info) ==
          0 ||
      info.dli_fname == nullptr)
    return "";
  return Canonical(info.dli_fname);
}

// The child's own LD_PRELOAD ("" when unset).
std::string InheritedPreload() {
  const char* value = std::getenv("LD_PRELOAD");
  return value != nullptr ? value : "";
}

// The environment of a program: the child's, with LD_PRELOAD as the spec
// wants it and the spec's variables.
std::vector<std::string> ProgramEnvironment(const ProgramSpec& spec) {
  std::vector<std::string> env;
  auto overridden = [&](const std::string& name) {
    if (name == "LD_PRELOAD") return true;
    for (const auto& [n, v] : spec.env)
      if (n == name) return true;
    return false;
  };
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (!overridden(entry.substr(0, entry.find('='))))
      env.push_back(std::move(entry));
  }
  if (spec.under_test) {
    std::string preload = InheritedPreload();
    env.push_back("LD_PRELOAD=" + (preload.empty() ? LibcPath() : preload));
  }
  for (const auto& [name, value] : spec.env) env.push_back(name + "=" + value);
  return env;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// True when `maps` (a /proc/PID/maps text) maps the file at `path`.
bool Maps(const std::string& maps, const std::string& path) {
  for (std::size_t at = maps.find(path); at != std::string::npos;
       at = maps.find(path, at + 1)) {
    bool starts = at > 0 && maps[at - 1] == ' ';
    std::size_t end = at + path.size();
    bool ends = end == maps.size() || maps[end] == '\n' || maps[end] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

}  // namespace

std::string ProgramExit::Describe(double timeout_s) const {
  if (timed_out)
    return "timed out after " + std::to_string(static_cast<long>(timeout_s)) +
           " s";
  if (signal != 0) {
    const char* name = sigabbrev_np(signal);
    return std::string("killed by SIG") +
           (name != nullptr ? name : std::to_string(signal));
  }
  return "exited with status " + std::to_string(exit_code);
}

ProgramUsage ProgramExit::Usage() const {
  ProgramUsage u;
  u.programs = 1;
  u.user_s = Seconds(usage.ru_utime);
  u.sys_s = Seconds(usage.ru_stime);
  u.peak_rss_bytes =
      static_cast<std::int64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
  u.page_faults = usage.ru_minflt;
  u.major_page_faults = usage.ru_majflt;
  return u;
}

Program::~Program() {
  if (pid_ > 0) {
    kill(-pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string Program::Start(const ProgramSpec& spec) {
  if (spec.argv.empty()) return "no command";
  std::vector<std::string> env = ProgramEnvironment(spec);
  std::vector<char*> argv, envp;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const char* in_path =
      spec.stdin_path.empty() ? "/dev/null" : spec.stdin_path.c_str();
  const char* out_path =
      spec.output_path.empty() ? "/dev/null" : spec.output_path.c_str();
  int in_fd = open(in_path, O_RDONLY | O_CLOEXEC);
  if (in_fd < 0) return std::string(in_path) + ": " + std::strerror(errno);
  int out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) {
    close(in_fd);
    return std::string(out_path) + ": " + std::strerror(errno);
  }
  // A pipe closed on exec tells whether exec succeeded.
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    close(in_fd);
    close(out_fd);
    return std::string("pipe: ") + std::strerror(errno);
  }
  const pid_t parent = getpid();
  start_s_ = NowS();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec: the child is threaded.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    dup2(in_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    if (!spec.working_dir.empty() && chdir(spec.working_dir.c_str()) != 0) {
      int err = errno;
      ssize_t ignored = write(status_pipe[1], &err, sizeof(err));
      (void)ignored;
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    int err = errno;
    ssize_t ignored = write(status_pipe[1], &err, sizeof(err));
    (void)ignored;
    _exit(127);
  }
  int fork_errno = errno;
  close(in_fd);
  close(out_fd);
  close(status_pipe[1]);
  if (pid < 0) {
    close(status_pipe[0]);
    return std::string("fork: ") + std::strerror(fork_errno);
  }
  setpgid(pid, pid);
  int exec_errno = 0;
  ssize_t n = read(status_pipe[0], &exec_errno, sizeof(exec_errno));
  close(status_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    waitpid(pid, nullptr, 0);
    return spec.argv[0] + ": " + std::strerror(exec_errno);
  }
  pid_ = pid;
  return "";
}

std::string Program::ExpectedMallocLibrary() {
  std::string preload = InheritedPreload();
  std::string first = preload.substr(0, preload.find_first_of(": "));
  return first.empty() ? LibcPath() : Canonical(first);
}

std::string Program::ProveAllocator() {
  const std::string expected = ExpectedMallocLibrary();
  const std::string libc = LibcPath();
  const std::string maps_path = "/proc/" + std::to_string(pid_) + "/maps";
  const double deadline = NowS() + 10;
  // ld.so maps LD_PRELOAD objects before the program's dependencies, libc
  // among them: once libc is mapped, a preload that took is mapped too.
  while (NowS() < deadline) {
    std::string maps = ReadFile(maps_path);
    if (maps.empty())
      return "the program exited before its allocator could be proven";
    if (Maps(maps, libc)) {
      if (Maps(maps, expected)) return "";
      return "the preloaded " + expected +
             " is not mapped in the program (a static or setuid program "
             "ignores LD_PRELOAD)";
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return "the program mapped no libc within 10 s (statically linked?): its "
         "allocator "
         "cannot be swapped with LD_PRELOAD";
}

ProgramExit Program::Reap(int status, const rusage& usage, bool timed_out) {
  ProgramExit exit;
  exit.timed_out = timed_out;
  exit.usage = usage;
  exit.wall_s = NowS() - start_s_;
  if (WIFEXITED(status)) exit.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status) && !timed_out) exit.signal = WTERMSIG(status);
  // Whatever the program left in its group goes with it.
  kill(-pid_, SIGKILL);
  pid_ = -1;
  return exit;
}

ProgramExit Program::Wait(double timeout_s, RunContext* ctx) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  const double deadline = timeout_s > 0 ? NowS() + timeout_s : 0;
  bool timed_out = false;
  for (;;) {
    siginfo_t info{};
    // WNOWAIT: see the exit, leave the zombie for wait4 (and its rusage).
    if (waitid(P_PID, static_cast<id_t>(pid_), &info,
               WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid_)
      break;
    if (deadline > 0 && NowS() > deadline) {
      timed_out = true;
      kill(-pid_, SIGKILL);
      break;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, 100);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (ctx != nullptr) ctx->SetMeasuredPid(0);
  int status = 0;
  rusage usage{};
  wait4(pid_, &status, 0, &usage);
  return Reap(status, usage, timed_out);
}

ProgramExit Program::Stop(double grace_s, RunContext* ctx) {
  kill(-pid_, SIGTERM);
  ProgramExit exit = Wait(grace_s, ctx);
  exit.timed_out = false;  // killed after the grace period: still stopped
  return exit;
}

std::optional<ProgramExit> RunMeasuredProgram(const ProgramSpec& spec,
                                              double timeout_s,
                                              RunContext& ctx) {
  Program program;
  if (std::string error = program.Start(spec); !error.empty()) {
    ctx.Fail("cannot start " + spec.argv[0] + ": " + error);
    return std::nullopt;
  }
  ctx.SetMeasuredPid(program.pid());
  if (std::string error = program.ProveAllocator(); !error.empty()) {
    ctx.SetMeasuredPid(0);
    ctx.Fail(error);
    return std::nullopt;
  }
  ProgramExit exit = program.Wait(timeout_s, &ctx);
  if (!exit.ok()) {
    std::string reason =
        std::filesystem::path(spec.argv[0]).filename().string() + " " +
        exit.Describe(timeout_s);
    if (std::string tail = TailOfFile(spec.output_path); !tail.empty())
      reason += ": " + tail;
    ctx.Fail(reason);
    return std::nullopt;
  }
  ctx.AddProgramUsage(exit.Usage());
  return exit;
}

std::string FindExecutable(const std::string& name) {
  if (name.empty()) return "";
  auto executable = [](const std::string& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) &&
           access(path.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos)
    return executable(name) ? std::filesystem::absolute(name).string() : "";
  const char* path_env = std::getenv("PATH");
  std::stringstream dirs(path_env != nullptr ? path_env
                                             : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (executable(candidate))
      return std::filesystem::absolute(candidate).string();
  }
  return "";
}

std::string WorkloadDataPath(const std::string& name) {
  const char* dir = std::getenv("ALLOCMARK_WORKLOAD_DATA");
  return std::string(dir != nullptr && *dir != '\0'
                         ? dir
                         : ALLOCMARK_WORKLOAD_DATA_DIR) +
         "/" + name;
}

std::string TailOfFile(const std::string& path, int lines) {
  if (path.empty()) return "";
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string text;
  for (const auto& line : last) text += (text.empty() ? "" : " | ") + line;
  return text.size() > 400 ? "..." + text.substr(text.size() - 400) : text;
}

std::optional<std::string> OutputValue(const std::string& path,
                                       const std::string& key) {
  std::ifstream in(path);
  std::optional<std::string> value;
  const std::string prefix = key + ": ";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) value = line.substr(prefix.size());
  return value;
}

TempDir::TempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" +
      prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace allocmark
