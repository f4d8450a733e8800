// The loop over a run's cells that `allocmark run` and `allocmark exec`
// share: each cell in its own child, its row appended as soon as it ends,
// progress with the time left, and a clean stop on SIGINT or SIGTERM.
#ifndef ALLOCMARK_HARNESS_CELL_LOOP_H_
#define ALLOCMARK_HARNESS_CELL_LOOP_H_

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "harness/allocator_choice.h"
#include "harness/cell_runner.h"
#include "harness/matrix.h"
#include "harness/result_store.h"

namespace allocmark {

// Runs measured once more for rep 0 of each ok cell, their figures joining
// its row.
struct ExtraPasses {
  bool callgrind = false;  // instruction counts and share (callgrind.h)
  bool perf = false;       // the allocator's share of time (perf_pass.h)
};

// Runs the cells of `cells` not in `done`, in order, appending each row to the
// store and to `rows` as it finishes, with the `passes` asked for. Returns
// false when a stop was requested.
bool RunCells(const std::vector<Cell>& cells,
              const std::vector<AllocatorChoice>& allocators,
              const CellRunOptions& cro, const RunStore& store,
              ExtraPasses passes, const std::string& rep_suffix,
              std::set<std::string>& done, std::vector<nlohmann::json>& rows);

// Throws UsageError unless the per-cell time-out is finite and above 0 s and
// the sampling interval at least 1 us.
void CheckCellLimits(double timeout_s, int sample_interval_us);

// Finds allocmark-child, installs the SIGINT/SIGTERM stop handlers and
// probes every allocator in it. Returns the child's path, or "" (having said
// so on stderr) when a stop signal came during the probes, before anything
// was written. Throws UsageError when the child is missing or a user's
// library does not serve malloc.
std::string ProbeAllocators(std::vector<AllocatorChoice>& allocators);

// The rows a resumed run already has in cells.jsonl, and their cell ids.
// Each row must be one of `cells` (the run's matrix, or its shard), or a
// repetition below `max_reps` of one of their configurations (those
// --until-stable adds; 0: none); any other row is refused with a UsageError
// that names the file, the line and the cell id.
void ReadFinishedCells(const RunStore& store, const std::vector<Cell>& cells,
                       int max_reps, std::set<std::string>& done,
                       std::vector<nlohmann::json>& rows);

// The fields every new run.json starts with: schema version, run id, tool,
// command line, start time, the environment and its warnings.
nlohmann::json NewRunJson(const RunStore& store,
                          const std::string& command_line,
                          nlohmann::json environment, nlohmann::json warnings);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CELL_LOOP_H_
