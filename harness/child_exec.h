// `allocmark-child exec -- COMMAND ARGS...`: a user's command measured as one
// cell, the way a workload is. The command runs under the allocator the
// child was preloaded with, proven from outside it (workloads/
// external_program.h); its wall time is the timed region, and its own CPU
// time, faults, peak RSS and RSS over time (/proc/PID/statm) are the cell's
// figures. One run of the command is one operation (ops_unit "runs"); a
// non-zero exit fails the cell. Its output goes to the child's log.
#ifndef ALLOCMARK_HARNESS_CHILD_EXEC_H_
#define ALLOCMARK_HARNESS_CHILD_EXEC_H_

#include <memory>
#include <string>
#include <vector>

#include "workloads/workload.h"

namespace allocmark {

// `command[0]` is a path or a name found in PATH. Returns nullptr, with the
// reason in *error, when it is not an executable file.
std::unique_ptr<WorkloadInstance> MakeExecInstance(
    const std::vector<std::string>& command, std::string* error);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CHILD_EXEC_H_
