// A cgroup of its own for one measured program tree: the kernel then accounts
// for every process of the tree, whatever it forks, daemonises or leaves
// behind. The real-program workloads put each program under test in one
// (workloads/support/external_program.h) when the machine lets them, and read
// its peak memory, CPU time and faults from it; the child's sampler reads its
// current memory for the tree's series (child/sampler.h).
//
// A cgroup is created under this process's own one, which needs the right to
// write there (root, or a delegated subtree) and one of:
// - cgroup v2 (the first choice), with the memory controller enabled for its
//   children (cgroup.subtree_control) or enableable. Read: memory.current,
//   memory.peak, cpu.stat's user_usec and system_usec, memory.stat's pgfault
//   and pgmajfault.
// - cgroup v1 with the memory and cpuacct controllers mounted, as on hybrid
//   hosts (v1 controllers under /sys/fs/cgroup/<controller>, an empty cgroup2
//   at /sys/fs/cgroup/unified): a directory in each of the two hierarchies,
//   both entered. Read: memory.usage_in_bytes, memory.max_usage_in_bytes,
//   cpuacct.usage (split in the proportion of cpuacct.usage_user and
//   cpuacct.usage_sys), memory.stat's total_pgfault and total_pgmajfault (the
//   group's and its descendants', as v2's memory.stat counts).
// Either way the memory counted includes the page cache the tree caused.
// Where neither is so (a container without delegation, a systemd leaf with
// processes of its own), the tree is read from /proc instead
// (base/process_tree.h).
#ifndef ALLOCMARK_BASE_CGROUP_H_
#define ALLOCMARK_BASE_CGROUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace allocmark {

// "" when cgroups with memory accounting can be created here (v2 or v1),
// else why not, for both. Tried once per process (a cgroup is made and
// removed); later calls repeat the answer.
const std::string& CgroupUnavailable();

// The prefix of the cgroups allocmark creates ("allocmark-tree-").
inline constexpr const char kCgroupPrefix[] = "allocmark-tree-";

class Cgroup {
 public:
  // A fresh, empty cgroup, v2 if possible, else v1; nullptr with the reason
  // in *error when neither can be made.
  static std::unique_ptr<Cgroup> Create(std::string* error);
  // Kills whatever is left in it and removes it.
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  int version() const { return version_; }  // 2 or 1
  // Its directories: v2's one; v1's in the memory hierarchy, then the one in
  // the cpuacct hierarchy (unless the two are mounted together).
  const std::vector<std::string>& directories() const { return directories_; }
  // Their cgroup.procs, open for writing: a new process writes "0" to each,
  // between fork and exec, to enter (SpawnSpec::cgroup_procs_fds,
  // base/process.h).
  const std::vector<int>& procs_fds() const { return procs_fds_; }

  // Current and peak memory in bytes (page cache the tree caused included);
  // -1 when unreadable.
  std::int64_t CurrentBytes() const;
  std::int64_t PeakBytes() const;

  // Everything the cgroup's processes used: user and system time, all page
  // faults (major included) and the major ones.
  struct Usage {
    double user_s = 0;
    double sys_s = 0;
    std::int64_t page_faults = 0;
    std::int64_t major_page_faults = 0;
  };
  Usage ReadUsage() const;

  // Sends SIGKILL to every process in it: cgroup.kill (v2, Linux >= 5.14),
  // else to each process cgroup.procs lists, until it lists none.
  void Kill() const;

 private:
  explicit Cgroup(int version) : version_(version) {}
  // A fresh directory under each of `parents`; nullptr with *error when one
  // cannot be made (those made are removed).
  static std::unique_ptr<Cgroup> Make(int version,
                                      const std::vector<std::string>& parents,
                                      std::string* error);

  int version_;
  std::vector<std::string> directories_;
  std::vector<int> procs_fds_;
};

// The current-memory file (v2 memory.current, v1 memory.usage_in_bytes) of
// the cgroup `pid` is in, opened when that is one allocmark created; -1
// otherwise. For the sampler's fixed-rate reading (ReadOpenBytes).
int OpenCgroupMemoryCurrent(int pid);
// One pread of an open memory.current (or any one-number file); -1 on error.
std::int64_t ReadOpenBytes(int fd);

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_CGROUP_H_
