#include "harness/exec_command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/executable.h"
#include "harness/allocator_choice.h"
#include "harness/cell_loop.h"
#include "harness/cell_runner.h"
#include "harness/child_process.h"
#include "harness/environment.h"
#include "harness/json_integer.h"
#include "harness/matrix.h"
#include "harness/result_store.h"
#include "harness/run_command.h"
#include "harness/run_session.h"
#include "harness/summary.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace {

// NAME is part of file names (cell ids): letters, digits, '-', '_', '.'.
std::string CheckName(const std::string& name) {
  bool valid =
      !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
               c == '_' || c == '.';
      });
  if (!valid)
    throw UsageError(
        "--name '" + name +
        "': use letters, digits, '-', '_' and '.' (it names files)");
  return name;
}

std::string DefaultName(const std::string& path) {
  std::string base = std::filesystem::path(path).filename().string();
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' &&
        c != '.')
      c = '_';
  return base;
}

// The options an exec run was started with, from its run.json, for --resume:
// the command, its name, repetitions, limits and the allocators it measured
// (a user's library again as NAME=/path).
ExecOptions OptionsFromJson(const nlohmann::json& run,
                            const std::string& resume) {
  if (!run.contains("exec"))
    throw UsageError(
        resume +
        "/run.json: not an exec run (resume it with allocmark run --resume)");
  ExecOptions o;
  try {
    const auto& e = run.at("exec");
    o.command = e.at("command").get<std::vector<std::string>>();
    o.name = e.at("name").get<std::string>();
    o.reps = IntegerAt<int>(e, "reps");
    o.timeout_s = e.at("timeout_s").get<double>();
    o.sample_interval_us = IntegerAt<int>(e, "sample_interval_us");
    AllocatorsFromJson(run.at("allocators"), o.allocators, o.custom_allocators);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(resume + "/run.json: malformed exec block (" +
                     std::string(e.what()) + ")");
  }
  if (o.command.empty())
    throw UsageError(resume + "/run.json: the exec block has no command");
  o.resume = resume;
  return o;
}

}  // namespace

int ExecCommand(ExecOptions o) {
  if (!o.resume.empty() && !o.command.empty())
    throw UsageError("--resume takes no command: the run's own is used");
  RunSession session("exec", o.resume);
  session.RestoreOptions(o, OptionsFromJson);
  if (o.command.empty())
    throw UsageError(
        "exec needs a command after --, e.g. allocmark exec -- python3 -c 1");
  if (std::string problem = WhyNotExecutable(o.command[0]); !problem.empty())
    throw UsageError(problem);
  std::string path = FindExecutable(o.command[0]);
  o.command[0] = path;
  if (o.reps < 1)
    throw UsageError("--reps must be at least 1, got " +
                     std::to_string(o.reps));
  CheckCellLimits(o.timeout_s, o.sample_interval_us);
  const std::string name =
      CheckName(o.name.empty() ? DefaultName(path) : o.name);

  std::vector<AllocatorChoice> allocators =
      ResolveAllocators(o.allocators, o.custom_allocators);
  if (allocators.empty()) throw UsageError("no allocator to measure");

  // Repetitions interleaved as in `run`: A B C, then C B A, ...
  std::vector<Cell> cells;
  for (int rep = 0; rep < o.reps; ++rep) {
    std::vector<const AllocatorChoice*> order;
    for (const auto& a : allocators) order.push_back(&a);
    if (rep % 2 == 1) std::reverse(order.begin(), order.end());
    for (const AllocatorChoice* a : order) {
      Cell cell{"", name, {}, 1, "malloc", a->name, rep, 1, {}, o.command};
      cell.id = name + "-t1-malloc-" + a->name + "-r" + std::to_string(rep);
      cells.push_back(std::move(cell));
    }
  }

  SessionStart start = PlainStart(o.out, o.run_id, cells, o.command_line);
  start.fields.describe = [&](nlohmann::json& run) {
    run["exec"] = {{"command", o.command},
                   {"name", name},
                   {"reps", o.reps},
                   {"timeout_s", o.timeout_s},
                   {"sample_interval_us", o.sample_interval_us}};
    std::string shown;
    for (const auto& arg : o.command) shown += (shown.empty() ? "" : " ") + arg;
    run["workloads"][name] = {{"summary", "allocmark exec: " + shown},
                              {"ops_unit", "runs"}};
  };
  if (!session.Start(allocators, start)) return kExitInterrupted;
  std::string reps_label = "/";
  reps_label += std::to_string(o.reps);
  session.RunCells(cells, {o.timeout_s, o.sample_interval_us, 0}, {},
                   reps_label);
  return session.Finish();
}

}  // namespace allocmark
