#include "base/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

namespace allocmark {
namespace {

struct LinuxDirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

}  // namespace

void AdoptOrphans() { prctl(PR_SET_CHILD_SUBREAPER, 1); }

rusage ReapAdopted(pid_t pgid) {
  rusage total{};
  int waits = 0;
  for (;;) {
    rusage usage{};
    int status = 0;
    pid_t reaped = wait4(-pgid, &status, __WALL, &usage);
    if (reaped < 0) {
      if (errno == EINTR) continue;
      // ECHILD: none of the group is this process's child now, but a killed
      // one's children may still be on their way to being adopted.
      if (kill(-pgid, 0) != 0 || ++waits > 1000) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    total.ru_utime.tv_sec += usage.ru_utime.tv_sec;
    total.ru_utime.tv_usec += usage.ru_utime.tv_usec;
    total.ru_stime.tv_sec += usage.ru_stime.tv_sec;
    total.ru_stime.tv_usec += usage.ru_stime.tv_usec;
    total.ru_minflt += usage.ru_minflt;
    total.ru_majflt += usage.ru_majflt;
    total.ru_maxrss = std::max(total.ru_maxrss, usage.ru_maxrss);
  }
  return total;
}

ProcessTreeReader::ProcessTreeReader(pid_t root, std::size_t max_processes)
    : root_(root),
      proc_fd_(open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
      dirents_(1 << 16) {
  entries_.reserve(max_processes);
  members_.reserve(max_processes);
}

ProcessTreeReader::~ProcessTreeReader() {
  if (proc_fd_ >= 0) close(proc_fd_);
}

ProcessTreeReader::ProcessTreeReader(ProcessTreeReader&& other) noexcept
    : root_(other.root_),
      proc_fd_(std::exchange(other.proc_fd_, -1)),
      entries_(std::move(other.entries_)),
      members_(std::move(other.members_)),
      dirents_(std::move(other.dirents_)),
      processes_(other.processes_) {}

ProcessTreeReader& ProcessTreeReader::operator=(
    ProcessTreeReader&& other) noexcept {
  if (this != &other) {
    if (proc_fd_ >= 0) close(proc_fd_);
    root_ = other.root_;
    proc_fd_ = std::exchange(other.proc_fd_, -1);
    entries_ = std::move(other.entries_);
    members_ = std::move(other.members_);
    dirents_ = std::move(other.dirents_);
    processes_ = other.processes_;
  }
  return *this;
}

// /proc/PID/stat is "pid (comm) state ppid pgrp ... rss ...": rss, in pages,
// is the 24th field, the 22nd after the parenthesis that ends comm.
bool ProcessTreeReader::ReadEntry(const char* name, Entry& entry) const {
  char path[64];
  std::snprintf(path, sizeof(path), "%s/stat", name);
  int fd = openat(proc_fd_, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  ++p;
  long long fields[22] = {};
  for (int i = 0; i < 22; ++i) {
    while (*p == ' ') ++p;
    if (i == 0) {  // the state, a letter
      while (*p != ' ' && *p != '\0') ++p;
      continue;
    }
    char* end = nullptr;
    fields[i] = std::strtoll(p, &end, 10);
    if (end == p) return false;
    p = end;
  }
  entry.pid = static_cast<pid_t>(std::atoi(name));
  entry.ppid = static_cast<pid_t>(fields[1]);
  entry.pgrp = static_cast<pid_t>(fields[2]);
  entry.rss_pages = fields[21];
  entry.member = false;
  return true;
}

std::int64_t ProcessTreeReader::ReadBytes() {
  if (proc_fd_ < 0 || root_ <= 0) return -1;
  entries_.clear();
  if (lseek(proc_fd_, 0, SEEK_SET) != 0) return -1;
  for (;;) {
    long n =
        syscall(SYS_getdents64, proc_fd_, dirents_.data(), dirents_.size());
    if (n < 0) return -1;
    if (n == 0) break;
    for (long at = 0; at < n;) {
      const auto* d =
          reinterpret_cast<const LinuxDirent64*>(dirents_.data() + at);
      at += d->d_reclen;
      if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
      if (entries_.size() == entries_.capacity()) continue;
      Entry entry{};
      if (ReadEntry(d->d_name, entry)) entries_.push_back(entry);
    }
  }
  // The root, then whatever descends from a member, until nothing changes;
  // an orphan this process adopted counts while it is in the root's group.
  const pid_t self = getpid();
  members_.clear();
  for (bool changed = true; changed;) {
    changed = false;
    for (Entry& e : entries_) {
      if (e.member) continue;
      e.member =
          e.pid == root_ || (e.ppid == self && e.pgrp == root_) ||
          std::find(members_.begin(), members_.end(), e.ppid) != members_.end();
      if (e.member && members_.size() < members_.capacity()) {
        members_.push_back(e.pid);
        changed = true;
      }
    }
  }
  static const long page_bytes = sysconf(_SC_PAGESIZE);
  std::int64_t pages = 0;
  for (const Entry& e : entries_)
    if (e.member) pages += e.rss_pages;
  processes_ = static_cast<int>(members_.size());
  return pages * page_bytes;
}

}  // namespace allocmark
