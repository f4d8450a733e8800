#include "base/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/file_text.h"

namespace allocmark {
namespace {

// What each cgroup version calls the things read (CPU time aside).
struct Layout {
  const char* controller;  // the memory files' hierarchy; "": cgroup2's
  const char* current_file;
  const char* peak_file;
  const char* fault_key;  // in memory.stat
  const char* major_fault_key;
};
constexpr Layout kV2{"", "memory.current", "memory.peak", "pgfault",
                     "pgmajfault"};
// total_*: the group's and its descendants', as v2's memory.stat counts.
constexpr Layout kV1{"memory", "memory.usage_in_bytes",
                     "memory.max_usage_in_bytes", "total_pgfault",
                     "total_pgmajfault"};

const Layout& LayoutOf(int version) { return version == 2 ? kV2 : kV1; }

bool HasWord(const std::string& text, const std::string& word) {
  std::istringstream words(text);
  for (std::string w; words >> w;)
    if (w == word) return true;
  return false;
}

// Whether `controller` is one of a comma-separated list ("rw,cpu,cpuacct").
bool HasController(std::string list, const std::string& controller) {
  std::replace(list.begin(), list.end(), ',', ' ');
  return HasWord(list, controller);
}

// A mounted cgroup hierarchy.
struct Hierarchy {
  std::string root;   // the cgroup mounted there
  std::string mount;  // "" when none is mounted

  // The directory of `cgroup`, a path as /proc/PID/cgroup gives it (relative
  // to the hierarchy's root, which a container may have mounted instead).
  std::string Directory(const std::string& cgroup) const {
    std::string relative = cgroup;
    if (root != "/" && cgroup.rfind(root, 0) == 0 &&
        (cgroup.size() == root.size() || cgroup[root.size()] == '/'))
      relative = cgroup.substr(root.size());
    return relative == "/" ? mount : mount + relative;
  }
};

// The hierarchy with `controller` (cgroup v1: fstype "cgroup" with the
// controller among its super options), or cgroup2's for "", from
// /proc/self/mountinfo:
// "ID PARENT DEVICE ROOT MOUNTPOINT OPTIONS [TAGS] - FSTYPE SOURCE SUPER".
Hierarchy FindHierarchy(const std::string& controller) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream mount_fields(line.substr(0, dash));
    std::istringstream fs_fields(line.substr(dash + 3));
    std::string id, parent, device, type, source, options;
    Hierarchy h;
    mount_fields >> id >> parent >> device >> h.root >> h.mount;
    fs_fields >> type >> source >> options;
    if (controller.empty()
            ? type == "cgroup2"
            : type == "cgroup" && HasController(options, controller))
      return h;
  }
  return {};
}

// The cgroup of process `pid` ("self" or a number) in the hierarchy with
// `controller` ("" for cgroup2), from /proc/PID/cgroup's
// "ID:CONTROLLERS:PATH" lines; "" when there is none.
std::string CgroupOf(const std::string& pid, const std::string& controller) {
  std::ifstream in("/proc/" + pid + "/cgroup");
  for (std::string line; std::getline(in, line);) {
    std::size_t first = line.find(':');
    std::size_t second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    if (controller.empty() ? controllers.empty()
                           : HasController(controllers, controller))
      return line.substr(second + 1);
  }
  return "";
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

// cgroup v2: the directory new cgroups go under, with the memory controller
// enabled for its children; "" with *error when there is none.
std::string V2Parent(std::string* error) {
  Hierarchy h = FindHierarchy("");
  if (h.mount.empty()) {
    *error = "no cgroup2 file system is mounted";
    return "";
  }
  std::string dir = h.Directory(CgroupOf("self", ""));
  if (!HasWord(ReadFileText(dir + "/cgroup.controllers"), "memory")) {
    *error = "the memory controller is not available in " + dir +
             " (bound to cgroup v1, or not delegated)";
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

// cgroup v1: this process's cgroups in the memory and the cpuacct
// hierarchies (one directory when the two are mounted together); empty with
// *error when either is not mounted.
std::vector<std::string> V1Parents(std::string* error) {
  std::vector<std::string> parents;
  for (const std::string controller : {"memory", "cpuacct"}) {
    Hierarchy h = FindHierarchy(controller);
    if (h.mount.empty()) {
      *error = "no hierarchy with the " + controller + " controller is mounted";
      return {};
    }
    std::string dir = h.Directory(CgroupOf("self", controller));
    if (parents.empty() || parents.front() != dir) parents.push_back(dir);
  }
  return parents;
}

// Whether `cgroup` (a path as /proc/PID/cgroup gives it) is one allocmark
// created.
bool IsAllocmarks(const std::string& cgroup) {
  std::size_t slash = cgroup.rfind('/');
  return slash != std::string::npos &&
         cgroup.compare(slash + 1, std::strlen(kCgroupPrefix), kCgroupPrefix) ==
             0;
}

// Removes the cgroups under `parent` that allocmark processes no longer
// running left behind: one the driver killed (a run interrupted, a child past
// its time limit) ran no destructor. rmdir removes empty cgroups only.
void RemoveAbandoned(const std::string& parent) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kCgroupPrefix, 0) != 0) continue;
    const long owner =
        std::strtol(name.c_str() + std::strlen(kCgroupPrefix), nullptr, 10);
    if (owner > 0 && kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH)
      rmdir(entry.path().c_str());
  }
}

}  // namespace

const std::string& CgroupUnavailable() {
  static const std::string reason = [] {
    std::string error;
    std::unique_ptr<Cgroup> trial = Cgroup::Create(&error);
    if (trial != nullptr && trial->version() == 2 && trial->PeakBytes() < 0)
      error = "no memory.peak in " + trial->directories().front() +
              " (Linux < 5.19)";
    return error;
  }();
  return reason;
}

std::unique_ptr<Cgroup> Cgroup::Create(std::string* error) {
  std::string v2_error;
  if (std::string parent = V2Parent(&v2_error); !parent.empty())
    if (auto cgroup = Make(2, {parent}, &v2_error)) return cgroup;
  std::string v1_error;
  if (std::vector<std::string> parents = V1Parents(&v1_error); !parents.empty())
    if (auto cgroup = Make(1, parents, &v1_error)) return cgroup;
  *error = "cgroup v2: " + v2_error + "; cgroup v1: " + v1_error;
  return nullptr;
}

std::unique_ptr<Cgroup> Cgroup::Make(int version,
                                     const std::vector<std::string>& parents,
                                     std::string* error) {
  static std::atomic<int> serial{0};
  const std::string name =
      kCgroupPrefix + std::to_string(getpid()) + "-" + std::to_string(serial++);
  std::unique_ptr<Cgroup> cgroup(new Cgroup(version));
  for (const std::string& parent : parents) {
    RemoveAbandoned(parent);
    const std::string dir = parent + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0) {
      *error = "cannot create " + dir + ": " + std::strerror(errno);
      return nullptr;
    }
    cgroup->directories_.push_back(dir);
    int fd = open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
      *error = "cannot open " + dir + "/cgroup.procs: " + std::strerror(errno);
      return nullptr;
    }
    cgroup->procs_fds_.push_back(fd);
  }
  return cgroup;
}

Cgroup::~Cgroup() {
  for (int fd : procs_fds_) close(fd);
  Kill();
  // A cgroup can be removed once its last process is gone; killed processes
  // take a moment to leave.
  for (const std::string& dir : directories_)
    for (int tries = 0;
         tries < 200 && rmdir(dir.c_str()) != 0 && errno == EBUSY; ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

std::int64_t Cgroup::CurrentBytes() const {
  return ReadNumber(directories_.front() + "/" +
                    LayoutOf(version_).current_file);
}

std::int64_t Cgroup::PeakBytes() const {
  return ReadNumber(directories_.front() + "/" + LayoutOf(version_).peak_file);
}

Cgroup::Usage Cgroup::ReadUsage() const {
  const Layout& layout = LayoutOf(version_);
  std::string memory = ReadFileText(directories_.front() + "/memory.stat");
  Usage u;
  if (version_ == 2) {
    std::string cpu = ReadFileText(directories_.front() + "/cpu.stat");
    u.user_s = static_cast<double>(KeyedValue(cpu, "user_usec")) * 1e-6;
    u.sys_s = static_cast<double>(KeyedValue(cpu, "system_usec")) * 1e-6;
  } else {
    // cpuacct.usage is exact; its user/system split is counted in ticks
    // (cpuacct.usage_user, cpuacct.usage_sys), so the exact total is split in
    // their proportion, as v2's cpu.stat does (all user when neither ticked).
    const std::string& cpu = directories_.back();
    const auto read = [&cpu](const char* file) {
      return static_cast<double>(
          std::max<std::int64_t>(ReadNumber(cpu + "/" + file), 0));
    };
    const double total_s = read("cpuacct.usage") * 1e-9;
    const double user_ticks = read("cpuacct.usage_user");
    const double sys_ticks = read("cpuacct.usage_sys");
    u.sys_s =
        sys_ticks > 0 ? total_s * sys_ticks / (user_ticks + sys_ticks) : 0;
    u.user_s = total_s - u.sys_s;
  }
  u.page_faults = KeyedValue(memory, layout.fault_key);
  u.major_page_faults = KeyedValue(memory, layout.major_fault_key);
  return u;
}

void Cgroup::Kill() const {
  if (version_ == 2 && !directories_.empty() &&
      WriteFile(directories_.front() + "/cgroup.kill", "1"))
    return;
  // Without cgroup.kill: signal each process listed, again while any is
  // listed (one may have forked meanwhile), for about a second at most.
  for (int round = 0; round < 200; ++round) {
    bool listed = false;
    for (const std::string& dir : directories_) {
      std::istringstream pids(ReadFileText(dir + "/cgroup.procs"));
      for (long pid; pids >> pid; listed = true)
        kill(static_cast<pid_t>(pid), SIGKILL);
    }
    if (!listed) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

int OpenCgroupMemoryCurrent(int pid) {
  for (const Layout* layout : {&kV2, &kV1}) {
    std::string cgroup = CgroupOf(std::to_string(pid), layout->controller);
    if (!IsAllocmarks(cgroup)) continue;
    Hierarchy h = FindHierarchy(layout->controller);
    if (h.mount.empty()) return -1;
    return open((h.Directory(cgroup) + "/" + layout->current_file).c_str(),
                O_RDONLY | O_CLOEXEC);
  }
  return -1;
}

std::int64_t ReadOpenBytes(int fd) {
  std::int64_t value;
  return PreadNumbers(fd, &value, 1) == 1 ? value : -1;
}

}  // namespace allocmark
