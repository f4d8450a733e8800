#include "harness/run_session.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <utility>

#include "base/check.h"
#include "harness/child_process.h"
#include "harness/environment.h"
#include "harness/exit_status.h"
#include "harness/run_command.h"
#include "harness/summary.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace {

// Finds allocmark-child, installs the SIGINT/SIGTERM stop handlers and
// probes every allocator in it. Returns the child's path, or "" (having said
// so on stderr) when a stop signal came during the probes.
std::string ProbeAllocators(std::vector<AllocatorChoice>& allocators) {
  std::string child = ChildPath();
  if (access(child.c_str(), X_OK) != 0)
    throw UsageError("cannot find the workload binary " + child);
  InstallStopHandlers();
  for (auto& a : allocators) ProbeAllocator(child, a);
  if (StopRequested()) {
    std::cerr << "allocmark: interrupted while probing the allocators; nothing "
                 "was written\n";
    return "";
  }
  return child;
}

}  // namespace

RunSession::RunSession(std::string subcommand, const std::string& resume_dir)
    : subcommand_(std::move(subcommand)), resume_dir_(resume_dir) {
  if (resume_dir.empty()) return;
  store_ = RunStore::Open(resume_dir);
  resumed_ = true;
  run_ = store_->ReadRunJson();
  if (run_.value("schema_version", nlohmann::json(0)) != kSchemaVersion)
    throw UsageError(resume_dir + "/run.json: schema version " +
                     run_.value("schema_version", nlohmann::json(0)).dump() +
                     " is not " + std::to_string(kSchemaVersion));
  const std::string made_by = run_.value("subcommand", "");
  if (made_by == kRecordSubcommand)
    throw UsageError(resume_dir +
                     " is a recording (allocmark record), which cannot be "
                     "resumed: record again with another -o");
  if (!made_by.empty() && made_by != subcommand_)
    throw UsageError(resume_dir + " was made by allocmark " + made_by +
                     ": resume it with allocmark " + made_by + " --resume " +
                     resume_dir);
}

bool RunSession::Start(std::vector<AllocatorChoice>& allocators,
                       const SessionStart& start) {
  ALLOCMARK_CHECK(start.cells != nullptr) << "a session starts with its cells";
  child_ = ProbeAllocators(allocators);
  if (child_.empty()) return false;
  allocators_ = allocators;
  if (resumed_) {
    ReadFinishedCells(*store_, *start.cells, start.max_reps, done_, rows_);
  } else {
    // The results directory is checked before anything runs.
    store_ = RunStore::Create(
        start.out, start.run_id.empty() ? NewRunId(start.out) : start.run_id);
    nlohmann::json env = CollectEnvironment();
    nlohmann::json warnings = start.fields.warnings(env);
    run_ = {{"schema_version", kSchemaVersion},
            {"run_id", store_->dir().filename().string()},
            {"tool", "allocmark"},
            {"subcommand", subcommand_},
            {"command_line", start.fields.command_line},
            {"started_at", Now()},
            {"environment", std::move(env)},
            {"warnings", std::move(warnings)}};
    start.fields.describe(run_);
  }
  run_["allocators"] = AllocatorsJson(allocators);
  run_["status"] = "running";
  cells_planned_ = std::max(start.cells->size(), rows_.size());
  run_["cells_planned"] = cells_planned_;
  store_->WriteRunJson(run_);
  store_->PointLatest();
  for (const auto& w : run_["warnings"])
    std::cerr << "allocmark: warning: " << w.get<std::string>() << "\n";
  std::size_t todo = 0;
  for (const auto& c : *start.cells) todo += done_.contains(c.id) ? 0 : 1;
  std::cerr << "allocmark: " << store_->dir().string() << ": " << todo << " of "
            << start.cells->size() << " cells to run\n";
  return true;
}

bool RunSession::RunCells(const std::vector<Cell>& cells,
                          const CellLimits& limits, ExtraPasses passes,
                          const std::string& rep_suffix) {
  // Cells beyond the first plan (--until-stable's rounds) are added to it.
  std::size_t todo = 0;
  for (const auto& c : cells) todo += done_.contains(c.id) ? 0 : 1;
  if (rows_.size() + todo > cells_planned_) {
    cells_planned_ = rows_.size() + todo;
    run_["cells_planned"] = cells_planned_;
  }
  CellRunOptions options{child_, limits.timeout_s, limits.sample_interval_us,
                         limits.max_rss_bytes};
  return allocmark::RunCells(cells, allocators_, options, *store_, passes,
                             rep_suffix, done_, rows_);
}

int RunSession::Finish() {
  const bool interrupted = StopRequested();
  run_["status"] = interrupted ? "interrupted" : "complete";
  run_["finished_at"] = Now();
  run_["load_average_end"] = LoadAverage();
  run_["cells_recorded"] = rows_.size();
  store_->WriteRunJson(run_);
  std::cout << FormatSummary(rows_);
  std::cout << "results: " << store_->dir().string() << "\n";
  if (interrupted) {
    std::cerr << "allocmark: interrupted; finished cells are kept.";
    if (subcommand_ != kRecordSubcommand)
      std::cerr << " Continue with: allocmark " << subcommand_ << " --resume "
                << store_->dir().string();
    std::cerr << "\n";
    return kExitInterrupted;
  }
  const bool failed =
      std::any_of(rows_.begin(), rows_.end(),
                  [](const auto& r) { return r.value("status", "") != "ok"; });
  return failed ? kExitCellsFailed : kExitOk;
}

SessionStart PlainStart(const std::string& out, const std::string& run_id,
                        const std::vector<Cell>& cells,
                        const std::string& command_line) {
  SessionStart start{.out = out,
                     .run_id = run_id,
                     .cells = &cells,
                     .max_reps = 0,
                     .fields = {}};
  start.fields.command_line = command_line;
  start.fields.warnings = [](const nlohmann::json& env) {
    return EnvironmentWarnings(env);
  };
  return start;
}

void CheckCellLimits(double timeout_s, int sample_interval_us) {
  if (!std::isfinite(timeout_s) || !(timeout_s > 0))
    throw UsageError("--timeout must be above 0 s and finite");
  if (sample_interval_us < 1)
    throw UsageError("--sample-interval-us must be at least 1, got " +
                     std::to_string(sample_interval_us));
}

void ReadFinishedCells(const RunStore& store, const std::vector<Cell>& cells,
                       int max_reps, std::set<std::string>& done,
                       std::vector<nlohmann::json>& rows) {
  std::set<std::string> known;
  for (const auto& c : cells) {
    const std::string rep_suffix = "-r" + std::to_string(c.rep);
    ALLOCMARK_CHECK(c.id.ends_with(rep_suffix))
        << "cell id " << c.id << " does not end in its repetition";
    const std::string config = c.id.substr(0, c.id.size() - rep_suffix.size());
    known.insert(c.id);
    for (int rep = 0; rep < max_reps; ++rep)
      known.insert(config + "-r" + std::to_string(rep));
  }
  std::vector<nlohmann::json> read = store.ReadCells();
  for (std::size_t i = 0; i < read.size(); ++i) {
    std::string id = read[i].value("cell_id", "");
    if (!known.contains(id))
      throw UsageError((store.dir() / "cells.jsonl").string() + " line " +
                       std::to_string(i + 1) + ": cell '" + id +
                       "' is not in the run's matrix");
    done.insert(std::move(id));
    rows.push_back(std::move(read[i]));
  }
}

}  // namespace allocmark
