#include "harness/run_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <tuple>

#include "harness/allocator_choice.h"
#include "harness/callgrind.h"
#include "harness/cell_loop.h"
#include "harness/cell_runner.h"
#include "harness/child_process.h"
#include "harness/compare_command.h"
#include "harness/environment.h"
#include "harness/json_integer.h"
#include "harness/matrix.h"
#include "harness/perf_pass.h"
#include "harness/result_store.h"
#include "harness/run_session.h"
#include "harness/shard.h"
#include "harness/summary.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace fs = std::filesystem;
namespace {

// "2G", "512M", "64K" or a plain number of bytes; throws UsageError.
std::int64_t ParseBytes(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string suffix = text.substr(used);
  double scale = suffix.empty()  ? 1
                 : suffix == "K" ? 1024.0
                 : suffix == "M" ? 1024.0 * 1024
                 : suffix == "G" ? 1024.0 * 1024 * 1024
                                 : -1;
  double bytes = value * scale;
  // !(x > 0) also refuses NaN; the upper bound keeps the conversion defined.
  if (used == 0 || scale < 0 || !(value > 0) || !std::isfinite(bytes) ||
      bytes > 9.2e18)
    throw UsageError(
        "--max-rss takes a size above 0 such as 2G, 512M or 1048576, got '" +
        text + "'");
  return static_cast<std::int64_t>(bytes);
}

// The environment's warnings and those of the run's own options.
nlohmann::json Warnings(const nlohmann::json& env, const RunOptions& o) {
  nlohmann::json warnings = EnvironmentWarnings(env);
  int cores = env.value("cores", 0);
  int most = o.threads.empty()
                 ? 1
                 : *std::max_element(o.threads.begin(), o.threads.end());
  if (cores > 0 && most > cores)
    warnings.push_back(
        fmt::format("{} threads on {} cores: the threads time-share the cores, "
                    "so those cells measure "
                    "the scheduler as much as the allocator; compare thread "
                    "counts up to {} only, or use a "
                    "machine with more cores",
                    most, cores, cores));
  return warnings;
}

// Five at quick: the fewest with which the rank test that compare uses can
// call a difference significant with one repetition out of order (5 + 5:
// p = 0.016; 3 + 3 cannot go below 0.1). docs/methodology.md says what the
// quick profile resolves.
int DefaultReps(Profile p) {
  return p == Profile::kSmoke ? 1 : p == Profile::kQuick ? 5 : 7;
}

nlohmann::json OptionsToJson(const RunOptions& o) {
  return {{"workloads", o.workloads},
          {"allocators", o.allocators},
          {"custom_allocators", o.custom_allocators},
          {"heaps", o.heaps},
          {"threads", o.threads},
          {"cores", o.cores},
          {"reps", o.reps.value_or(0)},
          {"profile", o.profile},
          {"params", o.params},
          {"timeout_s", o.timeout_s},
          {"sample_interval_us", o.sample_interval_us},
          {"seed", o.seed},
          {"verify", o.verify},
          {"max_rss", o.max_rss},
          {"shard", o.shard},
          {"until_stable", o.until_stable},
          {"stable_target", o.stable_target},
          {"max_reps", o.max_reps},
          {"callgrind", o.callgrind},
          {"perf", o.perf}};
}

// The options a run was started with, from its run.json, for --resume.
RunOptions OptionsFromJson(const nlohmann::json& run,
                           const std::string& resume) {
  if (!run.contains("matrix"))
    throw UsageError(resume + "/run.json: no matrix to resume");
  const auto& m = run["matrix"];
  RunOptions o;
  try {
    o.workloads = m.at("workloads").get<std::string>();
    o.allocators = m.at("allocators").get<std::vector<std::string>>();
    o.custom_allocators =
        m.at("custom_allocators").get<std::vector<std::string>>();
    o.heaps = m.at("heaps").get<std::vector<std::string>>();
    o.threads = IntegersAt<int>(m, "threads");
    o.cores = IntegerOr<int>(m, "cores", 0);
    o.reps = IntegerAt<int>(m, "reps");
    o.profile = m.at("profile").get<std::string>();
    o.params = m.at("params").get<std::vector<std::string>>();
    o.timeout_s = m.at("timeout_s").get<double>();
    o.sample_interval_us = IntegerAt<int>(m, "sample_interval_us");
    o.seed = IntegerAt<std::uint64_t>(m, "seed");
    o.verify = m.value("verify", "canary");
    o.max_rss = m.value("max_rss", "");
    o.shard = m.value("shard", "");
    o.until_stable = m.value("until_stable", false);
    o.stable_target = m.value("stable_target", o.stable_target);
    o.max_reps = IntegerOr(m, "max_reps", o.max_reps);
    o.callgrind = m.value("callgrind", false);
    o.perf = m.value("perf", false);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(resume + "/run.json: malformed matrix (" +
                     std::string(e.what()) + ")");
  }
  return o;
}

// A workload configuration: what --until-stable adds repetitions to.
using ConfigKey = std::tuple<std::string, Params, int,
                             std::string>;  // workload, params, threads, heap

ConfigKey KeyOf(const Cell& c) {
  return {c.workload, c.params, c.threads, c.heap};
}

// The configurations whose ratio-vs-baseline interval is wider than the
// target, from `compare_runs.py --json --stable-target` on the run so far.
// Empty with a warning when the script fails: the run keeps what it has.
std::optional<std::set<ConfigKey>> UnstableConfigs(const RunStore& store,
                                                   double target) {
  const fs::path json = store.dir() / "logs" / "stability.json";
  ChildSpec spec;
  spec.argv = {kPython,
               ScriptPath("compare_runs.py"),
               store.dir().string(),
               "--json",
               "--stable-target",
               std::to_string(target),
               "-o",
               json.string()};
  spec.output_path = (store.dir() / "logs" / "stability.log").string();
  ChildOutcome outcome = RunChild(spec);
  std::ifstream in(json);
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (!outcome.ok() || doc.is_discarded() || !doc.contains("unstable")) {
    std::cerr << "allocmark: warning: --until-stable: compare_runs.py "
              << outcome.Describe(spec) << " (see " << spec.output_path
              << "); no repetitions added\n";
    return std::nullopt;
  }
  std::set<ConfigKey> keys;
  try {
    for (const auto& u : doc["unstable"])
      keys.insert({u.at("workload").get<std::string>(),
                   u.at("params").get<Params>(), IntegerAt<int>(u, "threads"),
                   u.at("heap").get<std::string>()});
  } catch (const nlohmann::json::exception& e) {
    std::cerr << "allocmark: warning: --until-stable: " << json.string() << ": "
              << e.what() << "\n";
    return std::nullopt;
  }
  return keys;
}

std::string Describe(const ConfigKey& k) {
  return std::get<0>(k) + " threads=" + std::to_string(std::get<2>(k)) +
         " heap=" + std::get<3>(k);
}

}  // namespace

std::string ChildPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "allocmark-child").string();
}

int RunCommand(RunOptions o) {
  RunSession session(o.subcommand, o.resume);
  session.RestoreOptions(o, OptionsFromJson);
  CheckCellLimits(o.timeout_s, o.sample_interval_us);
  Profile profile = ParseProfile(o.profile);
  if (!o.reps) o.reps = DefaultReps(profile);
  if (o.until_stable && (o.stable_target <= 0 || o.stable_target >= 1))
    throw UsageError(
        "--stable-target is a relative half-width between 0 and 1, e.g. 0.05");
  if (o.until_stable && o.max_reps < std::max(*o.reps, 2))
    throw UsageError("--max-reps (" + std::to_string(o.max_reps) +
                     ") must be at least --reps (" + std::to_string(*o.reps) +
                     ") and 2");
  if (o.until_stable) ScriptPath("compare_runs.py");  // throws when missing
  if (o.perf)
    if (std::string why = PerfUnavailableReason(); !why.empty())
      throw UsageError("--perf: " + why);
  if (o.callgrind && access(kValgrind, X_OK) != 0)
    throw UsageError(std::string("--callgrind needs ") + kValgrind +
                     ": apt-get install valgrind");

  std::vector<AllocatorChoice> allocators =
      ResolveAllocators(o.allocators, o.custom_allocators);
  MatrixOptions m;
  m.workloads_regex = o.workloads;
  m.heaps = o.heaps;
  m.threads = o.threads;
  // The core count shapes the matrix only when the default thread counts
  // depend on it (not with --threads, not at smoke); recorded then alone, so
  // that shards of one matrix run on machines of any size still merge.
  if (o.cores <= 0)
    o.cores =
        o.threads.empty() && profile != Profile::kSmoke ? UsableCores() : 0;
  m.cores = o.cores;
  for (const auto& a : allocators) m.allocators.push_back(a.name);
  o.allocators =
      m.allocators;  // recorded in run.json: a resume measures the same set
  m.reps = *o.reps;
  m.profile = profile;
  m.param_overrides = o.params;
  m.seed = o.seed;
  std::optional<BlockVerify> verify = BlockVerifyFromName(o.verify);
  if (!verify)
    throw UsageError("--verify takes canary or full, got '" + o.verify + "'");
  m.verify = *verify;
  // The quick profile measures the in-process heaps once, under the first
  // allocator, unless --heaps names them (matrix.h).
  m.every_allocator_for_every_heap =
      profile != Profile::kQuick || !o.heaps.empty();
  std::vector<Cell> cells = ExpandMatrix(m);
  if (!o.shard.empty()) cells = SelectShard(cells, ParseShard(o.shard));
  const CellLimits limits{o.timeout_s, o.sample_interval_us,
                          o.max_rss.empty() ? 0 : ParseBytes(o.max_rss)};

  SessionStart start{.out = o.out,
                     .run_id = o.run_id,
                     .cells = &cells,
                     .max_reps = o.until_stable ? o.max_reps : 0,
                     .fields = {}};
  start.fields.command_line = o.command_line;
  start.fields.warnings = [&](const nlohmann::json& env) {
    return Warnings(env, o);
  };
  start.fields.describe = [&](nlohmann::json& run) {
    run["matrix"] = OptionsToJson(o);
    if (!o.shard.empty()) {
      Shard s = ParseShard(o.shard);
      run["shard"] = {{"index", s.index}, {"count", s.count}};
    }
    for (const auto& w : Workloads()) {
      if (std::none_of(cells.begin(), cells.end(),
                       [&](const Cell& c) { return c.workload == w.name; }))
        continue;
      run["workloads"][w.name] = {{"summary", w.summary},
                                  {"ops_unit", w.ops_unit}};
    }
  };
  if (!session.Start(allocators, start)) return kExitInterrupted;

  // Built in two steps: GCC 12 warns falsely (-Wrestrict) on "/" + string.
  std::string reps_label = "/";
  reps_label += std::to_string(*o.reps);
  bool stopped = !session.RunCells(
      cells, limits, {.callgrind = o.callgrind, .perf = o.perf}, reps_label);
  if (o.until_stable && !stopped) {
    // Repetitions beyond --reps, for the configurations whose ratio is not yet
    // known to within the target; each round is one more repetition, in the
    // matrix's alternating allocator order, of those configurations only.
    std::set<std::tuple<ConfigKey, std::string>>
        in_run;  // this run's (shard's) cells
    for (const auto& c : cells) in_run.insert({KeyOf(c), c.allocator});
    std::optional<std::set<ConfigKey>> unstable;
    for (int rep = *o.reps; !stopped; ++rep) {
      unstable = UnstableConfigs(session.store(), o.stable_target);
      if (!unstable || unstable->empty() || rep >= o.max_reps) break;
      m.reps = rep + 1;
      std::vector<Cell> round;
      for (auto& c : ExpandMatrix(m))
        if (c.rep == rep && unstable->contains(KeyOf(c)) &&
            in_run.contains({KeyOf(c), c.allocator}))
          round.push_back(std::move(c));
      std::cerr << "allocmark: --until-stable: " << unstable->size()
                << " configuration(s) above +-" << o.stable_target * 100
                << "%: repetition " << rep + 1 << "\n";
      stopped = !session.RunCells(round, limits, {}, " (until-stable)");
    }
    nlohmann::json left = nlohmann::json::array();
    if (unstable)
      for (const auto& k : *unstable) {
        left.push_back(Describe(k));
        if (!stopped)
          std::cerr << "allocmark: --until-stable: " << Describe(k)
                    << " still above +-" << o.stable_target * 100 << "% after "
                    << o.max_reps << " repetitions\n";
      }
    session.run_json()["stability"] = {{"target", o.stable_target},
                                       {"max_reps", o.max_reps},
                                       {"unstable", left}};
  }
  return session.Finish();
}

}  // namespace allocmark
