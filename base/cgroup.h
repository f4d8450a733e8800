// A cgroup v2 of its own for one measured program tree: the kernel then
// accounts for every process of the tree, whatever it forks, daemonises or
// leaves behind. The real-program workloads put each program under test in
// one (workloads/support/external_program.h) when the machine lets them, and
// read its peak memory, CPU time and faults from it; the child's sampler reads
// its memory.current for the tree's series (child/sampler.h).
//
// A cgroup is created under this process's own one, which needs cgroup2 with
// the memory controller enabled for its children (cgroup.subtree_control) or
// enableable, and the right to write there (root, or a delegated subtree).
// Where that is not so (cgroup v1, a container without delegation, a
// systemd leaf with processes of its own), the tree is read from /proc
// instead (base/process_tree.h).
#ifndef ALLOCMARK_BASE_CGROUP_H_
#define ALLOCMARK_BASE_CGROUP_H_

#include <cstdint>
#include <memory>
#include <string>

namespace allocmark {

// "" when cgroups with memory accounting can be created here, else why not.
// Tried once per process (a cgroup is made and removed); later calls repeat
// the answer.
const std::string& CgroupUnavailable();

// The prefix of the cgroups allocmark creates ("allocmark-tree-").
inline constexpr const char kCgroupPrefix[] = "allocmark-tree-";

class Cgroup {
 public:
  // A fresh, empty cgroup; nullptr with the reason in *error when it cannot
  // be made.
  static std::unique_ptr<Cgroup> Create(std::string* error);
  // Kills whatever is left in it and removes it.
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  const std::string& path() const { return path_; }
  // cgroup.procs, open for writing: a new process writes "0" to it, between
  // fork and exec, to enter (SpawnSpec::cgroup_procs_fd, base/process.h).
  int procs_fd() const { return procs_fd_; }

  // memory.current and memory.peak in bytes (page cache the tree caused
  // included); -1 when unreadable.
  std::int64_t CurrentBytes() const;
  std::int64_t PeakBytes() const;

  // Everything the cgroup's processes used: cpu.stat's user and system time,
  // memory.stat's pgfault (all faults, major included) and pgmajfault.
  struct Usage {
    double user_s = 0;
    double sys_s = 0;
    std::int64_t page_faults = 0;
    std::int64_t major_page_faults = 0;
  };
  Usage ReadUsage() const;

  // Sends SIGKILL to every process in it (cgroup.kill, Linux >= 5.14).
  void Kill() const;

 private:
  explicit Cgroup(std::string path);

  std::string path_;
  int procs_fd_ = -1;
};

// The memory.current of the cgroup `pid` is in, opened when that is one
// allocmark created; -1 otherwise. For the sampler's fixed-rate reading
// (ReadOpenBytes).
int OpenCgroupMemoryCurrent(int pid);
// One pread of an open memory.current (or any one-number file); -1 on error.
std::int64_t ReadOpenBytes(int fd);

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_CGROUP_H_
