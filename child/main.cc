// allocmark-child: the workload binary, one process per measurement.
//
// The driver starts it with the process allocator in LD_PRELOAD. It first
// proves which allocator serves malloc, refuses to measure if that is not the
// one requested, prepares the workload (untimed), then has Google Benchmark
// time one run of it and write JSON, with the proof, the request checksum and
// the cell's figures as context and counters. The sampler's RSS series goes
// to a CSV beside it.
//
//   allocmark-child probe            print the malloc proof as JSON
//   allocmark-child run --workload churn --heap malloc --threads 1
//       --param ops=1000 ... --out cell.json [--timeseries cell.csv]
//   allocmark-child exec --out cell.json [--timeseries cell.csv] -- COMMAND ...
//       (child/exec.h: a command measured as one cell)
//
// Exit status: 0 measured (the JSON may still hold a workload error),
// 2 usage, 3 the allocator serving malloc is not the one requested.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "allocators/process_allocators.h"
#include "child/exec.h"
#include "child/measure.h"
#include "child/sampler.h"
#include "workloads/support/external_program.h"
#include "workloads/support/param_override.h"
#include "workloads/support/workload.h"
#include "workloads/trace_replay.h"

namespace allocmark {
namespace {

struct ChildOptions {
  std::string workload;
  std::string heap = "malloc";
  int threads = 1;
  std::uint64_t seed = 1;
  std::vector<std::string> params;
  BlockVerify verify = BlockVerify::kCanary;
  std::string out;
  std::string timeseries;
  int sample_interval_us = 5000;  // the driver always passes its own
  std::string expect_allocator;
  std::string expect_library;
  std::vector<std::string>
      command;  // exec: the command measured instead of a workload
};

int Probe() {
  MallocProof proof = ProveMalloc();
  nlohmann::json j = {{"allocator", proof.allocator},
                      {"library", proof.library},
                      {"version", proof.version}};
  std::cout << j.dump() << "\n";
  return 0;
}

// Non-empty when the proof does not match what the driver asked for.
std::string CheckProof(const MallocProof& proof, const ChildOptions& o) {
  if (!o.expect_allocator.empty() && proof.allocator != o.expect_allocator)
    return "malloc is served by " + proof.allocator + " (" + proof.library +
           "), not " + o.expect_allocator;
  if (!o.expect_library.empty()) {
    std::error_code ec;
    auto expected = std::filesystem::canonical(o.expect_library, ec);
    if (ec || expected.string() != proof.library)
      return "malloc is served by " + proof.library + ", not " +
             o.expect_library;
  }
  return "";
}

// Sets the `--param` overrides of the cell in `params`; returns "" or one
// line saying which override is malformed, not a parameter of the workload,
// or of a value the workload refuses.
std::string ApplyParams(const WorkloadInfo* info,
                        const std::vector<std::string>& overrides,
                        Params& params) {
  for (const auto& arg : overrides) {
    std::string error;
    std::optional<ParamOverride> o = ParseParamOverride(arg, &error);
    if (!o) return error;
    const ParamSpec* spec = info == nullptr ? nullptr : FindParam(*info, *o);
    if (spec == nullptr)
      return "--param " + arg + ": not a parameter of " +
             (info == nullptr ? std::string("this cell") : info->name);
    if (std::string problem = ParamValueProblem(*info, *spec, o->value);
        !problem.empty())
      return "--param " + arg + ": " + problem;
    params[spec->name] = o->value;
  }
  if (info != nullptr && info->check != nullptr)
    if (std::string problem = info->check(params); !problem.empty())
      return "parameters of " + info->name + ": " + problem;
  return "";
}

int Run(const ChildOptions& o) {
  MallocProof proof = ProveMalloc(o.expect_allocator);
  if (std::string mismatch = CheckProof(proof, o); !mismatch.empty()) {
    std::cerr << "allocmark-child: " << mismatch << "\n";
    return 3;
  }
  const WorkloadInfo* info = FindWorkload(o.workload);
  auto heap = HeapFromName(o.heap);
  std::unique_ptr<WorkloadInstance> instance;
  if (!o.command.empty()) {
    std::string error;
    instance = MakeExecInstance(o.command, &error);
    if (!instance) {
      std::cerr << "allocmark-child: " << error << "\n";
      return 2;
    }
  } else if ((info == nullptr && o.workload != kReplayWorkload) || !heap) {
    std::cerr << "allocmark-child: unknown workload or heap\n";
    return 2;
  }
  WorkloadConfig config;
  config.threads = o.threads;
  config.seed = o.seed;
  config.verify = o.verify;
  // `allocmark replay`: the trace named by $ALLOCMARK_REPLAY_TRACE.
  if (o.workload == kReplayWorkload && o.command.empty()) {
    std::string error;
    instance = MakeReplayInstance(config, &error);
    if (!instance) {
      std::cerr << "allocmark-child: " << error << "\n";
      return 2;
    }
  }
  if (info != nullptr)
    for (const auto& p : info->params) config.params[p.name] = p.quick;
  if (std::string error = ApplyParams(info, o.params, config.params);
      !error.empty()) {
    std::cerr << "allocmark-child: " << error << "\n";
    return 2;
  }

  if (!instance) instance = info->make(config);
  char checksum[32];
  std::snprintf(checksum, sizeof(checksum), "%016llx",
                static_cast<unsigned long long>(instance->RequestChecksum()));
  benchmark::AddCustomContext("request_checksum", checksum);
  benchmark::AddCustomContext("malloc_allocator", proof.allocator);
  benchmark::AddCustomContext("malloc_library", proof.library);
  benchmark::AddCustomContext("malloc_version", proof.version);
  // A command, or a workload that runs real programs, is measured as a whole
  // process tree, by the method this machine allows.
  if (!o.command.empty() || o.workload.starts_with("program_"))
    benchmark::AddCustomContext("memory_method", ProgramMemoryMethod());
  // `allocmark record --workloads`: the programs this cell starts record to
  // DIR/<workload>-t<threads>.trace (external_program.h).
  if (const char* dir = std::getenv(kRecordProgramsVariable);
      dir != nullptr && *dir != '\0') {
    const std::string stem =
        std::string(dir) + "/" + o.workload + "-t" + std::to_string(o.threads);
    setenv(kRecordProgramStemVariable, stem.c_str(), 1);
  }

  std::unique_ptr<Sampler> sampler;
  std::string name =
      o.workload + "/heap:" + o.heap + "/threads:" + std::to_string(o.threads);
  benchmark::RegisterBenchmark(
      name.c_str(),
      [&](benchmark::State& state) {
        RunContext ctx(o.threads);
        // Untimed: the workload's own tables and buffers become resident
        // before the baseline, so no measure counts them as the heap's.
        instance->Prepare(ctx);
        sampler = std::make_unique<Sampler>(
            ctx, std::chrono::microseconds(o.sample_interval_us));
        CellMeasure measure;
        measure.Begin();
        sampler->Start();
        for (auto _ : state) instance->Run(*heap, ctx);
        sampler->Stop();
        measure.End();
        if (ctx.failed()) {
          state.SkipWithError(ctx.failure().c_str());
          return;
        }
        measure.Report(state, ctx, *sampler, ReadAllocatorStats(proof));
      })
      // One iteration is one whole, fixed run of the workload: the same
      // requests under every allocator, and a peak RSS that belongs to it.
      ->Iterations(1)
      ->Repetitions(1)
      // Real time, because threads contend and page faults sleep.
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);

  std::string out_flag = "--benchmark_out=" + o.out;
  std::vector<std::string> gb_args = {"allocmark-child", out_flag,
                                      "--benchmark_out_format=json"};
  std::vector<char*> argv;
  for (auto& a : gb_args) argv.push_back(a.data());
  int argc = static_cast<int>(argv.size());
  benchmark::Initialize(&argc, argv.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (!o.timeseries.empty() && sampler && !sampler->WriteCsv(o.timeseries)) {
    std::cerr << "allocmark-child: cannot write " << o.timeseries << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace allocmark

int main(int argc, char** argv) {
  using allocmark::ChildOptions;
  CLI::App app{
      "allocmark-child: runs one measurement (started by allocmark run)"};
  app.require_subcommand(1);
  auto* probe = app.add_subcommand(
      "probe", "print which allocator serves malloc, as JSON");
  auto* run = app.add_subcommand("run", "measure one cell");
  auto* exec =
      app.add_subcommand("exec", "measure one run of a command as a cell");
  ChildOptions o;
  run->add_option("--workload", o.workload)->required();
  run->add_option("--heap", o.heap);
  run->add_option("--threads", o.threads)->check(CLI::PositiveNumber);
  run->add_option("--seed", o.seed);
  run->add_option("--param", o.params, "NAME=VALUE");
  run->add_option_function<std::string>(
      "--verify",
      [&o](const std::string& name) {
        std::optional<allocmark::BlockVerify> verify =
            allocmark::BlockVerifyFromName(name);
        if (!verify)
          throw CLI::ValidationError(
              "--verify", "takes canary or full, got '" + name + "'");
        o.verify = *verify;
      },
      "canary (first and last word of each block) or full");
  run->add_option("--out", o.out, "Google Benchmark JSON output")->required();
  run->add_option("--timeseries", o.timeseries, "RSS-over-time CSV output");
  run->add_option("--sample-interval-us", o.sample_interval_us)
      ->check(CLI::PositiveNumber);
  run->add_option("--expect-allocator", o.expect_allocator);
  run->add_option("--expect-library", o.expect_library);
  o.workload = "exec";
  exec->add_option("--out", o.out, "Google Benchmark JSON output")->required();
  exec->add_option("--timeseries", o.timeseries, "RSS-over-time CSV output");
  exec->add_option("--sample-interval-us", o.sample_interval_us)
      ->check(CLI::PositiveNumber);
  exec->add_option("--expect-allocator", o.expect_allocator);
  exec->add_option("--expect-library", o.expect_library);
  exec->add_option("command", o.command,
                   "the command and its arguments, after --")
      ->required();
  CLI11_PARSE(app, argc, argv);
  if (probe->parsed()) return allocmark::Probe();
  return allocmark::Run(o);
}
