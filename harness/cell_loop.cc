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
    CellResult result = RunCell(cell, a, cro, store);
    if (StopRequested() && !result.ok()) {
      std::cerr << "interrupted\n";
      return false;
    }
    if (result.ok())
      std::cerr << "ok " << result.figures.Get("wall_s").value_or(0) << " s";
    else
      std::cerr << "FAILED: " << result.error;
    if (result.ok() && cell.rep == 0 && passes.callgrind) {
      std::cerr << "; callgrind ... " << std::flush;
      CountInstructions(cell, a, cro, store, result);
      if (!result.callgrind_error.empty())
        std::cerr << "failed: " << result.callgrind_error;
      else
        std::cerr << fmt::format(
            "{:.0f} instructions/op, {:.0f}% in the allocator",
            result.figures.Get("instructions_per_op").value_or(0),
            100 *
                result.figures.Get("allocator_instruction_share").value_or(0));
    }
    if (result.ok() && cell.rep == 0 && passes.perf) {
      std::cerr << "; perf ... " << std::flush;
      MeasureTimeShare(cell, a, cro, store, result);
      if (!result.perf_error.empty())
        std::cerr << "failed: " << result.perf_error;
      else
        std::cerr << fmt::format(
            "{:.0f}% of the time in the allocator",
            100 * result.figures.Get("allocator_time_share").value_or(0));
    }
    nlohmann::json row = CellRow(result);
    store.AppendCell(row);
    done.insert(cell.id);
    rows.push_back(std::move(row));
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

}  // namespace allocmark
