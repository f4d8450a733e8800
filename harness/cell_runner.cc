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

void Fail(nlohmann::json& row, const std::string& reason) {
  row["status"] = "failed";
  row["error"] = reason;
}

}  // namespace

void FoldChildJson(const nlohmann::json& child,
                   const AllocatorChoice& allocator, nlohmann::json& row) {
  if (!child.is_object() || !child.contains("benchmarks") ||
      child["benchmarks"].empty())
    return Fail(row, "the child wrote no benchmark result");
  const auto& context = child.value("context", nlohmann::json::object());
  std::string served_by = context.value("malloc_allocator", "");
  std::string library = context.value("malloc_library", "");
  row["allocator_proven"] = served_by;
  row["allocator_library"] = library;
  row["allocator_version"] = context.value("malloc_version", "");
  row["request_checksum"] = context.value("request_checksum", "");
  if (allocator.known != nullptr && served_by != allocator.known->name)
    return Fail(row, "malloc is served by " + served_by + " (" + library +
                         "), not " + allocator.name);
  if (allocator.user_library &&
      library != std::filesystem::weakly_canonical(allocator.library).string())
    return Fail(
        row, "malloc is served by " + library + ", not " + allocator.library);

  const auto& b = child["benchmarks"][0];
  if (b.value("error_occurred", false))
    return Fail(row, b.value("error_message", "the workload failed"));
  static const char* kFigures[] = {"ops",
                                   "ops_per_s",
                                   "peak_rss_bytes",
                                   "baseline_rss_bytes",
                                   "peak_live_bytes",
                                   "fragmentation",
                                   "process_rss_over_live",
                                   "frag_time_avg",
                                   "frag_at_peak_live",
                                   "frag_at_peak_rss",
                                   "frag_max_over_max",
                                   "user_s",
                                   "sys_s",
                                   "page_faults",
                                   "major_page_faults",
                                   "latency_samples",
                                   "p50_ns",
                                   "p90_ns",
                                   "p99_ns",
                                   "p999_ns",
                                   "max_ns"};
  for (const char* key : kFigures)
    if (b.contains(key)) row[key] = b[key];
  row["wall_s"] =
      ToSeconds(b.value("real_time", 0.0), b.value("time_unit", "ns"));
  nlohmann::json stats = nlohmann::json::object(),
                 counters = nlohmann::json::object();
  for (const auto& [key, value] : b.items()) {
    if (key.rfind("stats.", 0) == 0) stats[key.substr(6)] = value;
    if (key.rfind("workload.", 0) == 0) counters[key.substr(9)] = value;
  }
  row["allocator_stats"] = stats;
  row["counters"] = counters;
  if (row.value("ops", 0.0) <= 0 || row.value("wall_s", 0.0) <= 0)
    return Fail(row, "the workload reported no operations or no time");
  row["status"] = "ok";
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

nlohmann::json RunCell(const Cell& cell, const AllocatorChoice& allocator,
                       const CellRunOptions& options, const RunStore& store) {
  nlohmann::json row = {{"cell_id", cell.id},    {"workload", cell.workload},
                        {"params", cell.params}, {"threads", cell.threads},
                        {"heap", cell.heap},     {"allocator", cell.allocator},
                        {"rep", cell.rep},       {"seed", cell.seed}};
  std::filesystem::path child_json =
      store.dir() / "logs" / (cell.id + ".gbench.json");
  std::filesystem::path log = store.LogPath(cell.id);
  std::filesystem::path series = store.TimeseriesPath(cell.id);
  std::filesystem::remove(child_json);
  std::filesystem::remove(series);

  ChildSpec spec;
  // `allocmark exec` cells measure a command: the same options, no workload.
  const bool exec = !cell.command.empty();
  if (exec) row["command"] = cell.command;
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
  row["elapsed_s"] = outcome.wall_s;
  row["log"] = std::filesystem::relative(log, store.dir()).string();
  if (!outcome.ok()) {
    std::string reason = outcome.Describe(spec);
    if (outcome.started && outcome.exit_code > 0) {
      std::string last = LastLine(log);
      if (!last.empty()) reason += ": " + last;
    }
    Fail(row, reason);
    return row;
  }
  std::ifstream in(child_json);
  nlohmann::json child = nlohmann::json::parse(in, nullptr, false);
  if (child.is_discarded()) {
    Fail(row, "the child's JSON output is missing or malformed");
    return row;
  }
  FoldChildJson(child, allocator, row);
  if (row["status"] == "ok" && std::filesystem::exists(series))
    row["timeseries"] = std::filesystem::relative(series, store.dir()).string();
  return row;
}

}  // namespace allocmark
