// A cell's child run once more under a measuring tool (valgrind's callgrind,
// perf record) for one of the extra passes of `allocmark run`.
#ifndef ALLOCMARK_HARNESS_TOOL_RUN_H_
#define ALLOCMARK_HARNESS_TOOL_RUN_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/allocator_choice.h"
#include "harness/cell_runner.h"
#include "harness/matrix.h"

namespace allocmark {

struct ToolRun {
  std::string error;         // why the run gave no result; "" when it did
  nlohmann::json benchmark;  // the child's Google Benchmark entry
  std::string library;       // the library that served malloc ("": glibc)
  std::string proven;        // the allocator the child proved it met
};

// Runs `tool_argv` followed by `allocmark-child run` with the cell's
// arguments, the allocator preloaded in the tool's environment (which the
// tool passes on to the child), the child's JSON at `stem`.gbench.json and
// everything printed at `stem`.log. `sample_interval_us`: the child's RSS
// sampling; `timeout_s`: the whole run's limit. The error names `tool_name`.
ToolRun RunUnderTool(const std::vector<std::string>& tool_argv,
                     const std::string& tool_name, const Cell& cell,
                     const AllocatorChoice& allocator,
                     const CellRunOptions& options, const std::string& stem,
                     int sample_interval_us, double timeout_s);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_TOOL_RUN_H_
