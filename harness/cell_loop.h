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

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CELL_LOOP_H_
