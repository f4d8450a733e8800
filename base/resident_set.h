// A process's resident set, read from /proc/PID/statm: the driver's memory
// limit (harness/child_process.cc), the child's sampler (child/sampler.cc),
// the workloads that read RSS at points of their own and the micro-suite.
//
// One convention for every reader: the resident set in bytes, 0 for a
// process that has exited but is not yet reaped (a zombie has no memory),
// and -1 when statm cannot be opened, read or parsed (no such process).
#ifndef ALLOCMARK_BASE_RESIDENT_SET_H_
#define ALLOCMARK_BASE_RESIDENT_SET_H_

#include <sys/types.h>

#include <cstdint>

namespace allocmark {

// Resident bytes of process `pid` (0: this process) now; -1 when
// unreadable. Opens, reads and closes statm: for the occasional reading.
std::int64_t ResidentBytes(pid_t pid = 0);

// One process's statm, opened once and read as often as needed: a read is
// one pread and no allocation, for the sampler's fixed-rate loop.
class ResidentSetReader {
 public:
  ResidentSetReader() = default;  // reads nothing: ReadBytes() is -1
  // 0: this process. The file stays that process's until it is reaped.
  explicit ResidentSetReader(pid_t pid);
  ~ResidentSetReader();
  ResidentSetReader(ResidentSetReader&& other) noexcept;
  ResidentSetReader& operator=(ResidentSetReader&& other) noexcept;
  ResidentSetReader(const ResidentSetReader&) = delete;
  ResidentSetReader& operator=(const ResidentSetReader&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Resident bytes now; -1 when unreadable.
  std::int64_t ReadBytes() const;

 private:
  int fd_ = -1;
};

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_RESIDENT_SET_H_
