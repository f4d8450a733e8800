#include "harness/callgrind.h"

#include <filesystem>
#include <fstream>
#include <utility>

#include "harness/cell_runner.h"
#include "harness/child_process.h"

namespace allocmark {

std::optional<std::int64_t> CallgrindTotal(const std::string& path) {
  std::ifstream in(path);
  std::optional<std::int64_t> summary;
  for (std::string line; std::getline(in, line);) {
    for (const char* key : {"totals:", "summary:"}) {
      if (line.rfind(key, 0) != 0) continue;
      try {
        std::int64_t value =
            std::stoll(line.substr(std::char_traits<char>::length(key)));
        if (std::string(key) == "totals:") return value;
        summary = value;
      } catch (const std::exception&) {
      }
    }
  }
  return summary;
}

nlohmann::json CountInstructions(const Cell& cell,
                                 const AllocatorChoice& allocator,
                                 const CellRunOptions& options,
                                 const RunStore& store) {
  const std::filesystem::path logs = store.dir() / "logs";
  const std::string stem = (logs / (cell.id + ".callgrind")).string();
  const std::string out_file = stem + ".out", json_file = stem + ".gbench.json";
  std::filesystem::remove(out_file);
  std::filesystem::remove(json_file);
  ChildSpec spec;
  spec.argv = {kValgrind,
               "--tool=callgrind",
               "--collect-atstart=no",
               "--callgrind-out-file=" + out_file,
               options.child_path,
               "run"};
  for (std::string& arg : ChildCellArgs(cell, allocator))
    spec.argv.push_back(std::move(arg));
  // Rare samples: the sampler's instructions stay out of the count.
  spec.argv.insert(spec.argv.end(),
                   {"--out", json_file, "--sample-interval-us", "1000000"});
  spec.env = PreloadEnvironment(allocator);
  spec.output_path = stem + ".log";
  // Callgrind runs the program some 50 to 100 times slower.
  spec.timeout_s = options.timeout_s * 100;
  ChildOutcome outcome = RunChild(spec);
  if (!outcome.ok())
    return {{"callgrind_error",
             outcome.Describe(spec) + " (see " + stem + ".log)"}};
  std::ifstream in(json_file);
  nlohmann::json child = nlohmann::json::parse(in, nullptr, false);
  if (child.is_discarded() || !child.contains("benchmarks") ||
      child["benchmarks"].empty())
    return {{"callgrind_error", "the child under callgrind wrote no result"}};
  const auto& b = child["benchmarks"][0];
  if (b.value("error_occurred", false))
    return {
        {"callgrind_error", b.value("error_message", "the workload failed")}};
  double ops = b.value("ops", 0.0);
  std::optional<std::int64_t> total = CallgrindTotal(out_file);
  if (!total || *total <= 0 || ops <= 0)
    return {{"callgrind_error", "no instruction total in " + out_file}};
  return {
      {"instructions", *total},
      {"instructions_per_op", static_cast<double>(*total) / ops},
      {"callgrind_allocator", child["context"].value("malloc_allocator", "")}};
}

}  // namespace allocmark
