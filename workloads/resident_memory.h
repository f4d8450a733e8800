// The process's resident set, for workloads that report RSS at points of
// their own (the end of each fragmentation phase) beside the harness's
// sampled series.
#ifndef ALLOCMARK_WORKLOADS_RESIDENT_MEMORY_H_
#define ALLOCMARK_WORKLOADS_RESIDENT_MEMORY_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>

namespace allocmark {

// Resident bytes now, from /proc/self/statm; -1 when it cannot be read.
inline std::int64_t ResidentBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long long size_pages = 0, resident_pages = 0;
  int read = std::fscanf(f, "%lld %lld", &size_pages, &resident_pages);
  std::fclose(f);
  if (read != 2) return -1;
  return static_cast<std::int64_t>(resident_pages) * sysconf(_SC_PAGESIZE);
}

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_RESIDENT_MEMORY_H_
