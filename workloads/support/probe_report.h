// What the probe preloaded into a measured program (harness/probe/
// allocmark_probe.c) reported from inside it: for each process of the
// program's tree and each image it ran, the object that serves its malloc,
// and at its exit the allocator's own counts.
// workloads/support/external_program.h proves a program's allocator with it.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_PROBE_REPORT_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_PROBE_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "allocators/process_allocators.h"

namespace allocmark {

// One image a process ran (the probe's "start" line).
struct ProbeStart {
  int pid = 0;
  int ppid = 0;
  std::string exe;            // the executable, a real path
  std::string malloc_object;  // the object serving malloc, a real path
};

struct ProbeReports {
  std::vector<ProbeStart> starts;  // in the order they were written
  // The allocator's counts at exit, by pid (the last exit a pid reported).
  std::map<int, AllocatorStats> exit_stats;
  // The peak resident set (VmHWM) each process reported at exit, by pid.
  std::map<int, std::int64_t> exit_peak_rss_bytes;

  // The last image process `pid` reported; nullptr when it reported none.
  const ProbeStart* LastStart(int pid) const;
};

// Reads the probe's file; a line that does not parse is skipped (a process
// killed mid-write).
ProbeReports ReadProbeReports(const std::string& path);

// "" when the program `root` reported and every image of its tree has its
// malloc served by `expected` (a real path); else one line naming the first
// that is not, and what serves it. A descendant counts like the program: a
// tree that mixes allocators is not measured under either.
std::string CheckProbeReports(const ProbeReports& reports, int root,
                              const std::string& expected);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_PROBE_REPORT_H_
