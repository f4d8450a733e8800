#include "harness/callgrind.h"

#include <filesystem>
#include <fstream>
#include <utility>

#include "harness/callgrind_file.h"
#include "harness/cell_runner.h"
#include "harness/child_process.h"
#include "harness/tool_run.h"

namespace allocmark {

void CountInstructions(const Cell& cell, const AllocatorChoice& allocator,
                       const CellRunOptions& options, const RunStore& store,
                       CellResult& result) {
  const std::string stem =
      (store.dir() / "logs" / (cell.id + ".callgrind")).string();
  const std::string out_file = stem + ".out";
  std::filesystem::remove(out_file);
  // Rare samples (1 s): the sampler's instructions stay out of the count.
  // Callgrind runs the program some 50 to 100 times slower.
  ToolRun run =
      RunUnderTool({kValgrind, "--tool=callgrind", "--instr-atstart=no",
                    "--callgrind-out-file=" + out_file},
                   "callgrind", cell, allocator, options, stem, 1000000,
                   options.timeout_s * 100);
  if (!run.error.empty()) {
    result.callgrind_error = run.error;
    return;
  }
  const double ops = run.benchmark.value("ops", 0.0);
  std::optional<AllocatorInstructions> counted =
      ReadAllocatorInstructions(out_file, AllocatorCodeOf(run.library));
  if (!counted || ops <= 0) {
    result.callgrind_error = "no instruction total in " + out_file;
    return;
  }
  const auto total = static_cast<double>(counted->total);
  result.figures.Set("instructions", total);
  result.figures.Set("instructions_per_op", total / ops);
  result.figures.Set("allocator_instruction_share", counted->share());
  result.callgrind_allocator = run.library.empty() ? "glibc" : allocator.name;
}

}  // namespace allocmark
