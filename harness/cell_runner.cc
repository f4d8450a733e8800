#include "harness/cell_runner.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "base/temp_dir.h"
#include "harness/child_process.h"

namespace allocmark {
namespace {

// The last non-empty line of a child's output, for a failure's reason.
std::string LastLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  const std::string prefix = "allocmark-child: ";
  if (last.rfind(prefix, 0) == 0) last = last.substr(prefix.size());
  return last.size() > 300 ? last.substr(0, 300) + "..." : last;
}

double ToSeconds(double value, const std::string& unit) {
  if (unit == "ns") return value * 1e-9;
  if (unit == "us") return value * 1e-6;
  if (unit == "ms") return value * 1e-3;
  return value;
}

}  // namespace

void FoldChildJson(const nlohmann::json& child,
                   const AllocatorChoice& allocator, CellResult& result) {
  if (!child.is_object() || !child.contains("benchmarks") ||
      child["benchmarks"].empty())
    return result.Fail("the child wrote no benchmark result");
  const auto& context = child.value("context", nlohmann::json::object());
  AllocatorProof& proof = result.proof.emplace();
  proof.allocator = context.value("malloc_allocator", "");
  proof.library = context.value("malloc_library", "");
  proof.version = context.value("malloc_version", "");
  proof.request_checksum = context.value("request_checksum", "");
  result.memory_method = context.value("memory_method", "");
  if (allocator.known != nullptr && proof.allocator != allocator.known->name)
    return result.Fail("malloc is served by " + proof.allocator + " (" +
                       proof.library + "), not " + allocator.name);
  if (allocator.user_library &&
      proof.library !=
          std::filesystem::weakly_canonical(allocator.library).string())
    return result.Fail("malloc is served by " + proof.library + ", not " +
                       allocator.library);

  const auto& b = child["benchmarks"][0];
  if (b.value("error_occurred", false))
    return result.Fail(b.value("error_message", "the workload failed"));
  // Every figure of the table the child reported (CellMeasure::Report),
  // Google Benchmark's real time as wall_s.
  for (Figure f : Figure::All())
    if (auto it = b.find(std::string(f.name()));
        it != b.end() && it->is_number())
      result.figures.Set(f, it->get<double>());
  result.figures.Set("wall_s", ToSeconds(b.value("real_time", 0.0),
                                         b.value("time_unit", "ns")));
  for (const auto& [key, value] : b.items()) {
    if (!value.is_number()) continue;
    if (key.starts_with("stats."))
      result.allocator_stats[key.substr(6)] = value.get<double>();
    if (key.starts_with("workload."))
      result.counters[key.substr(9)] = value.get<double>();
  }
  if (result.figures.Get("ops").value_or(0) <= 0 ||
      result.figures.Get("wall_s").value_or(0) <= 0)
    return result.Fail("the workload reported no operations or no time");
  result.status_ok = true;
}

std::vector<std::string> ChildCellArgs(const Cell& cell,
                                       const AllocatorChoice& allocator) {
  std::vector<std::string> args;
  if (cell.command.empty())
    args = {"--workload", cell.workload,
            "--heap",     cell.heap,
            "--threads",  std::to_string(cell.threads),
            "--seed",     std::to_string(cell.seed),
            "--verify",   std::string(BlockVerifyName(cell.verify))};
  for (const auto& [name, value] : cell.params) {
    args.push_back("--param");
    args.push_back(name + "=" + std::to_string(value));
  }
  if (allocator.known != nullptr) {
    args.push_back("--expect-allocator");
    args.emplace_back(allocator.known->name);
  }
  if (!allocator.library.empty()) {
    args.push_back("--expect-library");
    args.push_back(allocator.library);
  }
  return args;
}

CellResult RunCell(const Cell& cell, const AllocatorChoice& allocator,
                   const CellRunOptions& options, const RunStore& store) {
  CellResult result(cell);
  std::filesystem::path child_json =
      store.dir() / "logs" / (cell.id + ".gbench.json");
  std::filesystem::path log = store.LogPath(cell.id);
  std::filesystem::path series = store.TimeseriesPath(cell.id);
  std::filesystem::remove(child_json);
  std::filesystem::remove(series);

  ChildSpec spec;
  // `allocmark exec` cells measure a command: the same options, no workload.
  const bool exec = !cell.command.empty();
  spec.argv = {options.child_path, exec ? "exec" : "run"};
  for (std::string& arg : ChildCellArgs(cell, allocator))
    spec.argv.push_back(std::move(arg));
  spec.argv.insert(
      spec.argv.end(),
      {"--out", child_json.string(), "--timeseries", series.string(),
       "--sample-interval-us", std::to_string(options.sample_interval_us)});
  if (exec) {
    spec.argv.push_back("--");
    spec.argv.insert(spec.argv.end(), cell.command.begin(), cell.command.end());
  }
  spec.env = PreloadEnvironment(allocator);
  // What the child and the programs it starts write to $TMPDIR goes here and
  // is removed however the child ends (killed children run no destructor).
  TempDir scratch("allocmark-cell");
  if (!scratch.path().empty()) spec.env["TMPDIR"] = scratch.path();
  spec.output_path = log.string();
  spec.timeout_s = options.timeout_s;
  spec.max_rss_bytes = options.max_rss_bytes;

  ChildOutcome outcome = RunChild(spec);
  result.elapsed_s = outcome.wall_s;
  result.log = std::filesystem::relative(log, store.dir()).string();
  if (!outcome.ok()) {
    std::string reason = outcome.Describe(spec);
    if (outcome.started && outcome.exit_code > 0) {
      std::string last = LastLine(log);
      if (!last.empty()) reason += ": " + last;
    }
    result.Fail(reason);
    return result;
  }
  std::ifstream in(child_json);
  nlohmann::json child = nlohmann::json::parse(in, nullptr, false);
  if (child.is_discarded()) {
    result.Fail("the child's JSON output is missing or malformed");
    return result;
  }
  FoldChildJson(child, allocator, result);
  if (result.ok() && std::filesystem::exists(series))
    result.timeseries = std::filesystem::relative(series, store.dir()).string();
  return result;
}

}  // namespace allocmark
