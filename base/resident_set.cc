#include "base/resident_set.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "base/file_text.h"

namespace allocmark {
namespace {

int OpenStatm(pid_t pid) {
  char path[64];
  if (pid == 0)
    std::snprintf(path, sizeof(path), "/proc/self/statm");
  else
    std::snprintf(path, sizeof(path), "/proc/%d/statm", static_cast<int>(pid));
  return open(path, O_RDONLY | O_CLOEXEC);
}

// statm is "size resident shared text lib data dt", in pages.
std::int64_t ReadStatm(int fd) {
  std::int64_t fields[2];
  if (PreadNumbers(fd, fields, 2) != 2 || fields[1] < 0) return -1;
  static const long page_bytes = sysconf(_SC_PAGESIZE);
  return fields[1] * page_bytes;
}

}  // namespace

std::int64_t ResidentBytes(pid_t pid) {
  int fd = OpenStatm(pid);
  if (fd < 0) return -1;
  std::int64_t bytes = ReadStatm(fd);
  close(fd);
  return bytes;
}

ResidentSetReader::ResidentSetReader(pid_t pid) : fd_(OpenStatm(pid)) {}

ResidentSetReader::~ResidentSetReader() {
  if (fd_ >= 0) close(fd_);
}

ResidentSetReader::ResidentSetReader(ResidentSetReader&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

ResidentSetReader& ResidentSetReader::operator=(
    ResidentSetReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

std::int64_t ResidentSetReader::ReadBytes() const {
  return fd_ >= 0 ? ReadStatm(fd_) : -1;
}

}  // namespace allocmark
