#include "harness/cell_loop.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <utility>

#include "base/check.h"
#include "harness/callgrind.h"
#include "harness/child_process.h"
#include "harness/perf_pass.h"
#include "harness/run_command.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace {

std::string Clock(double s) {
  long t = static_cast<long>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld:%02ld", t / 60, t % 60);
  return buf;
}

}  // namespace

bool RunCells(const std::vector<Cell>& cells,
              const std::vector<AllocatorChoice>& allocators,
              const CellRunOptions& cro, const RunStore& store,
              ExtraPasses passes, const std::string& rep_suffix,
              std::set<std::string>& done, std::vector<nlohmann::json>& rows) {
  std::size_t todo = 0;
  for (const auto& c : cells) todo += done.contains(c.id) ? 0 : 1;
  auto start = std::chrono::steady_clock::now();
  std::size_t finished = 0;
  for (const auto& cell : cells) {
    if (done.contains(cell.id)) continue;
    if (StopRequested()) return false;
    auto choice =
        std::find_if(allocators.begin(), allocators.end(),
                     [&](const auto& c) { return c.name == cell.allocator; });
    ALLOCMARK_CHECK(choice != allocators.end())
        << "cell " << cell.id << " names allocator '" << cell.allocator
        << "', which the run did not resolve";
    const AllocatorChoice& a = *choice;
    std::cerr << "[" << finished + 1 << "/" << todo << "] " << cell.workload
              << " threads=" << cell.threads << " heap=" << cell.heap << " "
              << cell.allocator << " rep " << cell.rep + 1 << rep_suffix
              << " ... " << std::flush;
    nlohmann::json row = RunCell(cell, a, cro, store);
    if (StopRequested() && row.value("status", "") != "ok") {
      std::cerr << "interrupted\n";
      return false;
    }
    const bool ok = row.value("status", "") == "ok";
    if (ok)
      std::cerr << "ok " << row.value("wall_s", 0.0) << " s";
    else
      std::cerr << "FAILED: " << row.value("error", "");
    if (ok && cell.rep == 0 && passes.callgrind) {
      std::cerr << "; callgrind ... " << std::flush;
      row.update(CountInstructions(cell, a, cro, store));
      if (row.contains("callgrind_error"))
        std::cerr << "failed: " << row["callgrind_error"].get<std::string>();
      else
        std::cerr << fmt::format(
            "{:.0f} instructions/op, {:.0f}% in the allocator",
            row["instructions_per_op"].get<double>(),
            100 * row["allocator_instruction_share"].get<double>());
    }
    if (ok && cell.rep == 0 && passes.perf) {
      std::cerr << "; perf ... " << std::flush;
      row.update(MeasureTimeShare(cell, a, cro, store));
      if (row.contains("perf_error"))
        std::cerr << "failed: " << row["perf_error"].get<std::string>();
      else
        std::cerr << fmt::format(
            "{:.0f}% of the time in the allocator",
            100 * row["allocator_time_share"].get<double>());
    }
    store.AppendCell(row);
    done.insert(cell.id);
    rows.push_back(row);
    ++finished;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    double left = elapsed / static_cast<double>(finished) *
                  static_cast<double>(todo - finished);
    std::cerr << " | elapsed " << Clock(elapsed) << ", left ~" << Clock(left)
              << "\n";
  }
  return !StopRequested();
}

void CheckCellLimits(double timeout_s, int sample_interval_us) {
  if (!std::isfinite(timeout_s) || !(timeout_s > 0))
    throw UsageError("--timeout must be above 0 s and finite");
  if (sample_interval_us < 1)
    throw UsageError("--sample-interval-us must be at least 1, got " +
                     std::to_string(sample_interval_us));
}

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

nlohmann::json NewRunJson(const RunStore& store,
                          const std::string& command_line,
                          nlohmann::json environment, nlohmann::json warnings) {
  return {{"schema_version", kSchemaVersion},
          {"run_id", store.dir().filename().string()},
          {"tool", "allocmark"},
          {"command_line", command_line},
          {"started_at", Now()},
          {"environment", std::move(environment)},
          {"warnings", std::move(warnings)}};
}

}  // namespace allocmark
