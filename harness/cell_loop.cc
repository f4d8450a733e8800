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

}  // namespace allocmark
