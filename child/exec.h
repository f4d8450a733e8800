// `allocmark-child exec -- COMMAND ARGS...`: a user's command measured as one
// cell, the way a workload is. The command runs under the allocator the
// child was preloaded with, proven from inside it and every process it
// starts (workloads/support/external_program.h); its wall time, start to exit,
// is the timed region, and the figures are its whole process tree's: CPU time,
// faults, peak memory (the cgroup's peak, memory.peak or v1's
// memory.max_usage_in_bytes, or the larger of the tree's
// summed resident sets and wait4's ru_maxrss) and memory over time, by the
// method the row's memory_method names. One run of the command is one
// operation (ops_unit "runs"); a non-zero exit fails the cell. Its output goes
// to the child's log.
#ifndef ALLOCMARK_CHILD_EXEC_H_
#define ALLOCMARK_CHILD_EXEC_H_

#include <memory>
#include <string>
#include <vector>

#include "workloads/support/workload.h"

namespace allocmark {

// `command[0]` is a path or a name found in PATH. Returns nullptr, with the
// reason in *error, when it is not an executable file.
std::unique_ptr<WorkloadInstance> MakeExecInstance(
    const std::vector<std::string>& command, std::string* error);

}  // namespace allocmark

#endif  // ALLOCMARK_CHILD_EXEC_H_
