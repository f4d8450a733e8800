#include "base/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/file_text.h"

namespace allocmark {
namespace {

// Where cgroup2 is mounted ("" when it is not), from /proc/self/mountinfo:
// "... MOUNTPOINT OPTIONS ... - cgroup2 SOURCE ...".
std::string Cgroup2Mount() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::size_t dash = line.find(" - ");
    if (dash == std::string::npos || line.compare(dash + 3, 8, "cgroup2 ") != 0)
      continue;
    std::istringstream fields(line.substr(0, dash));
    std::string id, parent, device, root, mount;
    fields >> id >> parent >> device >> root >> mount;
    return mount;
  }
  return "";
}

// This process's cgroup2 path relative to the mount: the "0::" line.
std::string OwnCgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

bool HasWord(const std::string& text, const std::string& word) {
  std::istringstream words(text);
  for (std::string w; words >> w;)
    if (w == word) return true;
  return false;
}

bool WriteFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

std::int64_t ReadNumber(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  std::int64_t value = ReadOpenBytes(fd);
  close(fd);
  return value;
}

// The value of KEY in a "key value" file (cpu.stat, memory.stat); 0 if none.
std::int64_t KeyedValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string k, v; in >> k >> v;)
    if (k == key) return std::strtoll(v.c_str(), nullptr, 10);
  return 0;
}

// The directory new cgroups go under, with the memory controller enabled
// for its children; "" with *error when there is none.
std::string ParentDirectory(std::string* error) {
  std::string mount = Cgroup2Mount();
  if (mount.empty()) {
    *error = "no cgroup2 file system is mounted";
    return "";
  }
  std::string dir = mount + OwnCgroup();
  if (!HasWord(ReadFileText(dir + "/cgroup.controllers"), "memory")) {
    *error = "the memory controller is not available in " + dir +
             " (cgroup v1, or not delegated)";
    return "";
  }
  if (!HasWord(ReadFileText(dir + "/cgroup.subtree_control"), "memory") &&
      !WriteFile(dir + "/cgroup.subtree_control", "+memory")) {
    *error = "cannot enable the memory controller in " + dir + ": " +
             std::strerror(errno);
    return "";
  }
  return dir;
}

}  // namespace

const std::string& CgroupUnavailable() {
  static const std::string reason = [] {
    std::string error;
    std::unique_ptr<Cgroup> trial = Cgroup::Create(&error);
    if (trial != nullptr && trial->PeakBytes() < 0)
      error = "no memory.peak in " + trial->path() + " (Linux < 5.19)";
    return error;
  }();
  return reason;
}

std::unique_ptr<Cgroup> Cgroup::Create(std::string* error) {
  std::string parent = ParentDirectory(error);
  if (parent.empty()) return nullptr;
  static std::atomic<int> serial{0};
  std::string path = parent + "/" + kCgroupPrefix + std::to_string(getpid()) +
                     "-" + std::to_string(serial++);
  if (mkdir(path.c_str(), 0755) != 0) {
    *error = "cannot create " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<Cgroup> cgroup(new Cgroup(path));
  if (cgroup->procs_fd_ < 0) {
    *error = "cannot open " + path + "/cgroup.procs: " + std::strerror(errno);
    return nullptr;
  }
  return cgroup;
}

Cgroup::Cgroup(std::string path)
    : path_(std::move(path)),
      procs_fd_(open((path_ + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC)) {
}

Cgroup::~Cgroup() {
  if (procs_fd_ >= 0) close(procs_fd_);
  Kill();
  // A cgroup can be removed once its last process is gone; killed processes
  // take a moment to leave.
  for (int tries = 0;
       tries < 200 && rmdir(path_.c_str()) != 0 && errno == EBUSY; ++tries)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

std::int64_t Cgroup::CurrentBytes() const {
  return ReadNumber(path_ + "/memory.current");
}

std::int64_t Cgroup::PeakBytes() const {
  return ReadNumber(path_ + "/memory.peak");
}

Cgroup::Usage Cgroup::ReadUsage() const {
  std::string cpu = ReadFileText(path_ + "/cpu.stat");
  std::string memory = ReadFileText(path_ + "/memory.stat");
  Usage u;
  u.user_s = static_cast<double>(KeyedValue(cpu, "user_usec")) * 1e-6;
  u.sys_s = static_cast<double>(KeyedValue(cpu, "system_usec")) * 1e-6;
  u.page_faults = KeyedValue(memory, "pgfault");
  u.major_page_faults = KeyedValue(memory, "pgmajfault");
  return u;
}

void Cgroup::Kill() const {
  if (WriteFile(path_ + "/cgroup.kill", "1")) return;
  // Before cgroup.kill: signal each process listed.
  std::istringstream pids(ReadFileText(path_ + "/cgroup.procs"));
  for (long pid; pids >> pid;) kill(static_cast<pid_t>(pid), SIGKILL);
}

int OpenCgroupMemoryCurrent(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string relative;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) relative = line.substr(3);
  std::size_t slash = relative.rfind('/');
  if (slash == std::string::npos ||
      relative.compare(slash + 1, std::strlen(kCgroupPrefix), kCgroupPrefix) !=
          0)
    return -1;
  return open((Cgroup2Mount() + relative + "/memory.current").c_str(),
              O_RDONLY | O_CLOEXEC);
}

std::int64_t ReadOpenBytes(int fd) {
  std::int64_t value;
  return PreadNumbers(fd, &value, 1) == 1 ? value : -1;
}

}  // namespace allocmark
