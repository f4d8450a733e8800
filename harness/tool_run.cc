#include "harness/tool_run.h"

#include <filesystem>
#include <fstream>
#include <utility>

#include "harness/child_process.h"

namespace allocmark {

ToolRun RunUnderTool(const std::vector<std::string>& tool_argv,
                     const std::string& tool_name, const Cell& cell,
                     const AllocatorChoice& allocator,
                     const CellRunOptions& options, const std::string& stem,
                     int sample_interval_us, double timeout_s) {
  const std::string json_file = stem + ".gbench.json";
  std::filesystem::remove(json_file);
  ChildSpec spec;
  spec.argv = tool_argv;
  spec.argv.insert(spec.argv.end(), {options.child_path, "run"});
  for (std::string& arg : ChildCellArgs(cell, allocator))
    spec.argv.push_back(std::move(arg));
  spec.argv.insert(spec.argv.end(), {"--out", json_file, "--sample-interval-us",
                                     std::to_string(sample_interval_us)});
  spec.env = PreloadEnvironment(allocator);
  spec.output_path = stem + ".log";
  spec.timeout_s = timeout_s;
  ToolRun run;
  ChildOutcome outcome = RunChild(spec);
  if (!outcome.ok()) {
    run.error = outcome.Describe(spec) + " (see " + spec.output_path + ")";
    return run;
  }
  std::ifstream in(json_file);
  nlohmann::json child = nlohmann::json::parse(in, nullptr, false);
  if (child.is_discarded() || !child.contains("benchmarks") ||
      !child["benchmarks"].is_array() || child["benchmarks"].empty()) {
    run.error = "the child under " + tool_name + " wrote no result";
    return run;
  }
  run.benchmark = child["benchmarks"][0];
  if (run.benchmark.value("error_occurred", false)) {
    run.error = run.benchmark.value("error_message", "the workload failed");
    return run;
  }
  // The library the child found serving malloc: the probe's, for a table
  // allocator named without a path.
  const nlohmann::json context =
      child.value("context", nlohmann::json::object());
  if (!allocator.library.empty())
    run.library = context.value("malloc_library", allocator.library);
  run.proven = context.value("malloc_allocator", "");
  return run;
}

}  // namespace allocmark
