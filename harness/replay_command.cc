#include "harness/replay_command.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "harness/allocator_choice.h"
#include "harness/environment.h"
#include "harness/json_integer.h"
#include "harness/matrix.h"
#include "harness/run_command.h"
#include "harness/run_session.h"
#include "harness/usage_error.h"
#include "record/trace_events.h"
#include "workloads/trace_replay.h"

namespace allocmark {
namespace {

// What the driver needs of a trace before the cells: it must read whole.
struct TraceFacts {
  std::uint64_t bytes = 0;
  std::uint64_t events = 0;
  std::uint32_t threads = 0;
  std::uint64_t cross_thread_frees = 0;
  std::string command;
};

TraceFacts ReadFacts(const std::string& path) {
  TraceFacts f;
  try {
    trace::TraceFile file(path);
    f.bytes = file.file_bytes();
    f.events = file.events();
    f.threads = file.threads();
    for (const auto& arg : file.header().command)
      f.command += (f.command.empty() ? "" : " ") + arg;
    // Every chunk decompressed and checked; contradictions are the cells'
    // to report, with their place.
    trace::TraceCalls calls(file, /*strict=*/false);
    trace::Call c;
    while (calls.Next(c))
      if (c.releases && c.released.thread != c.thread) ++f.cross_thread_frees;
  } catch (const trace::TraceError& e) {
    throw UsageError(e.what());
  }
  if (f.threads == 0)
    throw UsageError(path + ": the trace holds no allocation call");
  return f;
}

ReplayOptions OptionsFromJson(const nlohmann::json& run,
                              const std::string& resume) {
  if (!run.contains("replay"))
    throw UsageError(resume + "/run.json: not a replay run");
  ReplayOptions o;
  try {
    const auto& r = run.at("replay");
    o.trace = r.at("trace").get<std::string>();
    o.heaps = r.at("heaps").get<std::vector<std::string>>();
    o.reps = IntegerAt<int>(r, "reps");
    o.timeout_s = r.at("timeout_s").get<double>();
    o.sample_interval_us = IntegerAt<int>(r, "sample_interval_us");
    AllocatorsFromJson(run.at("allocators"), o.allocators, o.custom_allocators);
    o.resume = resume;
    if (std::filesystem::file_size(o.trace) !=
        IntegerAt<std::uint64_t>(r, "trace_bytes"))
      throw UsageError(o.trace + ": changed since the run began");
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(resume + "/run.json: malformed replay block (" +
                     std::string(e.what()) + ")");
  } catch (const std::filesystem::filesystem_error& e) {
    throw UsageError(std::string(e.what()));
  }
  return o;
}

}  // namespace

int ReplayCommand(ReplayOptions o) {
  if (!o.resume.empty() && !o.trace.empty())
    throw UsageError("--resume takes no trace: the run's own is used");
  RunSession session("replay", o.resume);
  session.RestoreOptions(o, OptionsFromJson);
  if (o.trace.empty()) throw UsageError("replay needs a trace file");
  o.trace = std::filesystem::absolute(o.trace).string();
  if (o.reps < 1)
    throw UsageError("--reps must be at least 1, got " +
                     std::to_string(o.reps));
  CheckCellLimits(o.timeout_s, o.sample_interval_us);
  const TraceFacts facts = ReadFacts(o.trace);
  if (o.heaps.empty()) o.heaps = {"malloc"};
  for (const auto& heap : o.heaps) {
    if (heap == "malloc" || heap == "slab-mt") continue;
    if (heap == "slab") {
      if (facts.cross_thread_frees > 0)
        throw UsageError("--heaps slab: the trace frees " +
                         std::to_string(facts.cross_thread_frees) +
                         " blocks on another thread than their own, which "
                         "slab cannot; use slab-mt");
      continue;
    }
    if (heap == "arena")
      throw UsageError(
          "--heaps arena: a trace has no mark of the program's phases, and a "
          "reset guessed from its live bytes could free live blocks");
    throw UsageError("--heaps " + heap +
                     ": a replay runs on malloc, slab or slab-mt");
  }

  std::vector<AllocatorChoice> allocators =
      ResolveAllocators(o.allocators, o.custom_allocators);
  if (allocators.empty()) throw UsageError("no allocator to measure");
  const int threads = static_cast<int>(facts.threads);
  std::vector<Cell> cells;
  for (int rep = 0; rep < o.reps; ++rep) {
    std::vector<const AllocatorChoice*> order;
    for (const auto& a : allocators) order.push_back(&a);
    if (rep % 2 == 1) std::reverse(order.begin(), order.end());
    for (const auto& heap : o.heaps)
      for (const AllocatorChoice* a : order) {
        if (heap != "malloc" && a != &allocators.front()) continue;
        Cell cell{"", kReplayWorkload,      {}, threads, heap, a->name, rep,
                  1,  BlockVerify::kCanary, {}};
        cell.id = std::string(kReplayWorkload) + "-t" +
                  std::to_string(threads) + "-" + heap + "-" + a->name + "-r" +
                  std::to_string(rep);
        cells.push_back(std::move(cell));
      }
  }
  // The children find the trace here (a path is no integer parameter).
  setenv(kReplayTraceVariable, o.trace.c_str(), 1);

  SessionStart start = PlainStart(o.out, o.run_id, cells, o.command_line);
  start.fields.describe = [&](nlohmann::json& run) {
    run["replay"] = {{"trace", o.trace},
                     {"trace_bytes", facts.bytes},
                     {"events", facts.events},
                     {"threads", threads},
                     {"cross_thread_frees", facts.cross_thread_frees},
                     {"heaps", o.heaps},
                     {"reps", o.reps},
                     {"timeout_s", o.timeout_s},
                     {"sample_interval_us", o.sample_interval_us}};
    run["workloads"][kReplayWorkload] = {
        {"summary", "allocmark replay: " + facts.command},
        {"ops_unit", "calls"}};
  };
  if (!session.Start(allocators, start)) return kExitInterrupted;
  std::string reps_label = "/" + std::to_string(o.reps);
  session.RunCells(cells, {o.timeout_s, o.sample_interval_us, 0}, {},
                   reps_label);
  return session.Finish();
}

}  // namespace allocmark
