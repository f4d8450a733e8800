// A measured program's process tree, seen from /proc when no cgroup holds it
// (base/cgroup.h): the program, every process descended from it, and the
// orphans it left behind, which this process adopts as their subreaper while
// they stay in the program's process group (a daemon that leaves the group
// with setsid() is lost to the tree). The child's sampler sums the tree's
// resident sets with it; the real-program workloads reap the adopted orphans
// for their CPU time and faults (workloads/support/external_program.h).
#ifndef ALLOCMARK_BASE_PROCESS_TREE_H_
#define ALLOCMARK_BASE_PROCESS_TREE_H_

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace allocmark {

// Makes this process the subreaper of its descendants: an orphan is
// reparented to it rather than to init, so that it stays in the tree and its
// resource use can be collected (ReapAdopted). Idempotent.
void AdoptOrphans();

// Reaps this process's children in process group `pgid` (the adopted orphans
// of a program that ran in group `pgid`, once the group was killed) and
// returns their wait4 resource use: CPU times and faults summed, ru_maxrss
// their largest. Waits for each until it has exited.
rusage ReapAdopted(pid_t pgid);

// Reads the resident set of a whole tree at a fixed rate: one pass over /proc
// per reading, with buffers sized up front, so that it allocates nothing.
class ProcessTreeReader {
 public:
  ProcessTreeReader() = default;  // reads nothing: ReadBytes() is -1
  // `root`: the program, the leader of its own process group (base/process.h).
  // Up to `max_processes` processes of the machine are looked at per reading.
  explicit ProcessTreeReader(pid_t root, std::size_t max_processes = 16384);
  ~ProcessTreeReader();
  ProcessTreeReader(ProcessTreeReader&& other) noexcept;
  ProcessTreeReader& operator=(ProcessTreeReader&& other) noexcept;
  ProcessTreeReader(const ProcessTreeReader&) = delete;
  ProcessTreeReader& operator=(const ProcessTreeReader&) = delete;

  // Resident bytes summed over the tree now: 0 once every process of it has
  // exited (zombies have no memory), -1 when /proc cannot be read.
  std::int64_t ReadBytes();
  // How many processes the last reading counted.
  int processes() const { return processes_; }

 private:
  struct Entry {
    pid_t pid;
    pid_t ppid;
    pid_t pgrp;
    std::int64_t rss_pages;
    bool member;
  };
  bool ReadEntry(const char* name, Entry& entry) const;

  pid_t root_ = 0;
  int proc_fd_ = -1;
  std::vector<Entry> entries_;
  std::vector<pid_t> members_;  // the pids of entries_ in the tree
  std::vector<char> dirents_;
  int processes_ = 0;
};

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_PROCESS_TREE_H_
