// allocmark: the command line. Each subcommand is one function of its own
// file; this file only declares the options and maps errors to exit codes.
#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include "harness/compare_command.h"
#include "harness/exec_command.h"
#include "harness/list_command.h"
#include "harness/merge_command.h"
#include "harness/profile_command.h"
#include "harness/record_command.h"
#include "harness/replay_command.h"
#include "harness/run_command.h"
#include "harness/usage_error.h"

namespace {

// An unsigned option would take "-1" as 2^64 - 1.
const CLI::Validator kNotNegative(
    [](std::string& value) -> std::string {
      return value.starts_with('-') ? "must not be negative, got " + value : "";
    },
    "", "not negative");

// CLI11 drops the empty items of a delimited list ("1,,2" is 1 and 2); a
// doubled or stray comma is more likely a typo than a wish, so it is refused.
std::string EmptyListItem(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;  // exec's command follows
    for (std::string_view name : {"--threads", "--allocators", "--heaps"}) {
      std::string_view value;
      if (arg == name && i + 1 < argc)
        value = argv[i + 1];
      else if (arg.starts_with(name) && arg.size() > name.size() &&
               arg[name.size()] == '=')
        value = arg.substr(name.size() + 1);
      else
        continue;
      if (value.empty() || value.starts_with(',') || value.ends_with(',') ||
          value.find(",,") != std::string_view::npos)
        return std::string(name) + ": '" + std::string(value) +
               "' has an empty item";
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace allocmark;
  CLI::App app{"allocmark: measure memory allocators on allocation workloads"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "help for every subcommand");

  bool list_json = false;
  std::vector<std::string> list_custom;
  auto* list_cmd = app.add_subcommand(
      "list", "list workloads, heaps and process allocators");
  list_cmd->add_flag("--json", list_json, "print one JSON object");
  list_cmd->add_option("--allocator", list_custom,
                       "NAME=/path/lib.so: list a library of your own too");

  RunOptions run;
  auto* run_cmd = app.add_subcommand(
      "run", "run a matrix of cells, each in its own process");
  run_cmd
      ->add_option("--workloads", run.workloads,
                   "regular expression selecting workloads")
      ->capture_default_str();
  run_cmd
      ->add_option("--allocators", run.allocators,
                   "process allocators or sets (default: glibc, jemalloc, "
                   "tcmalloc, mimalloc; all: every available one)")
      ->delimiter(',');
  run_cmd->add_option(
      "--allocator", run.custom_allocators,
      "NAME=/path/lib.so: measure a library of your own under NAME");
  run_cmd
      ->add_option("--heaps", run.heaps,
                   "heaps (default: every heap a workload suits)")
      ->delimiter(',');
  run_cmd
      ->add_option("--threads", run.threads,
                   "thread counts, e.g. 1,2,4 (default: per workload, 1 and "
                   "the core count at the quick profile)")
      ->delimiter(',');
  run_cmd->add_option(
      "--reps", run.reps,
      "repetitions per cell (default: smoke 1, quick 5, full 7)");
  run_cmd
      ->add_option("--profile", run.profile,
                   "workload sizes: smoke, quick or full")
      ->capture_default_str();
  run_cmd->add_option(
      "--param", run.params,
      "NAME=VALUE or WORKLOAD.NAME=VALUE: override a parameter");
  run_cmd
      ->add_option("--out", run.out,
                   "results directory; the run goes to OUT/<run-id>")
      ->capture_default_str();
  run_cmd->add_option("--run-id", run.run_id,
                      "name of the run directory (default: the time)");
  run_cmd->add_option(
      "--resume", run.resume,
      "complete the run in this directory: only missing cells run");
  run_cmd
      ->add_option("--timeout", run.timeout_s, "per-cell time limit in seconds")
      ->capture_default_str();
  run_cmd
      ->add_option("--sample-interval-us", run.sample_interval_us,
                   "RSS sampling interval")
      ->capture_default_str();
  run_cmd
      ->add_option("--seed", run.seed,
                   "seed of every workload's request sequence")
      ->check(kNotNegative)
      ->capture_default_str();
  run_cmd
      ->add_option("--verify", run.verify,
                   "how each block is checked before it is freed: canary "
                   "(its first and last word) or full (every byte, slower)")
      ->capture_default_str();
  run_cmd->add_option("--max-rss", run.max_rss,
                      "per-cell memory limit, e.g. 2G: a cell above it fails");
  run_cmd->add_option(
      "--shard", run.shard,
      "I/N: run the I-th of N parts of the matrix (for many machines)");
  run_cmd->add_flag(
      "--until-stable", run.until_stable,
      "add repetitions until every ratio's 95% CI is within --stable-target");
  run_cmd
      ->add_option("--stable-target", run.stable_target,
                   "relative half-width of the CI to reach")
      ->capture_default_str();
  run_cmd
      ->add_option("--max-reps", run.max_reps,
                   "--until-stable stops at this many repetitions")
      ->capture_default_str();
  run_cmd->add_flag("--perf", run.perf,
                    "also sample each cell's rep 0 under perf record -e "
                    "cpu-clock: the allocator's share of the time");
  run_cmd->add_flag("--callgrind", run.callgrind,
                    "also count instructions per operation under valgrind "
                    "--tool=callgrind (rep 0)");

  auto* compare_cmd =
      app.add_subcommand("compare",
                         "compare allocators of a run, or two runs "
                         "(scripts/compare_runs.py; compare --help)");
  compare_cmd->prefix_command();
  compare_cmd->set_help_flag();  // --help goes to the script

  ExecOptions exec;
  auto* exec_cmd =
      app.add_subcommand("exec",
                         "measure a command under every allocator: exec "
                         "[options] -- COMMAND ARGS...");
  exec_cmd
      ->add_option("--allocators", exec.allocators,
                   "process allocators or sets (default: glibc, jemalloc, "
                   "tcmalloc, mimalloc; all: every available one)")
      ->delimiter(',')
      // One value per occurrence: a "--" after it starts the command
      // instead of ending the option's list.
      ->allow_extra_args(false);
  exec_cmd
      ->add_option(
          "--allocator", exec.custom_allocators,
          "NAME=/path/lib.so: measure a library of your own under NAME")
      ->allow_extra_args(false);
  exec_cmd->add_option("--reps", exec.reps, "repetitions per allocator")
      ->capture_default_str();
  exec_cmd->add_option(
      "--name", exec.name,
      "the cells' workload name (default: the command's basename)");
  exec_cmd
      ->add_option("--out", exec.out,
                   "results directory; the run goes to OUT/<run-id>")
      ->capture_default_str();
  exec_cmd->add_option("--run-id", exec.run_id,
                       "name of the run directory (default: the time)");
  exec_cmd
      ->add_option("--timeout", exec.timeout_s,
                   "per-cell time limit in seconds")
      ->capture_default_str();
  exec_cmd
      ->add_option("--sample-interval-us", exec.sample_interval_us,
                   "RSS sampling interval")
      ->capture_default_str();
  exec_cmd->add_option(
      "--resume", exec.resume,
      "complete the exec run in this directory: only missing cells run");
  exec_cmd->add_option("command", exec.command,
                       "the command and its arguments, after --");

  std::string merge_out;
  std::vector<std::string> merge_shards;
  auto* merge_cmd = app.add_subcommand(
      "merge", "merge the shards of one matrix into one run");
  merge_cmd->add_option("--out", merge_out, "directory of the merged run")
      ->required();
  merge_cmd->add_option("shards", merge_shards, "shard run directories")
      ->required();

  RecordOptions record;
  auto* record_cmd = app.add_subcommand(
      "record",
      "record a command's allocation calls: record [-o FILE] -- COMMAND ..., "
      "or the programs of program_* workloads: record --workloads REGEX");
  record_cmd->add_option(
      "-o,--out", record.out,
      "the trace file to write (default allocmark.trace); with --workloads, "
      "the directory (default traces)");
  record_cmd->add_option(
      "--workloads", record.workloads,
      "record the programs of these program_* workloads, as run runs them");
  record_cmd
      ->add_option("--profile", record.profile,
                   "with --workloads: smoke, quick or full")
      ->capture_default_str();
  record_cmd->add_option("--param", record.params,
                         "with --workloads: NAME=VALUE or WORKLOAD.NAME=VALUE");
  record_cmd
      ->add_option("--allocator", record.allocator,
                   "the process allocator the command runs on, or NAME=/path")
      ->capture_default_str();
  record_cmd->add_option("command", record.command,
                         "the command and its arguments, after --");

  std::string profile_trace;
  bool profile_json = false;
  auto* profile_cmd = app.add_subcommand(
      "profile", "what a recorded program asks of an allocator");
  profile_cmd->add_option("trace", profile_trace, "the trace file")->required();
  profile_cmd->add_flag("--json", profile_json, "print one JSON object");

  ReplayOptions replay;
  auto* replay_cmd = app.add_subcommand(
      "replay", "replay a trace as a run, against allocators and heaps");
  replay_cmd->add_option("trace", replay.trace, "the trace file");
  replay_cmd
      ->add_option("--allocators", replay.allocators,
                   "process allocators or sets (as for run)")
      ->delimiter(',');
  replay_cmd->add_option("--allocator", replay.custom_allocators,
                         "NAME=/path/lib.so: a library of your own too");
  replay_cmd
      ->add_option("--heaps", replay.heaps,
                   "malloc (default), slab-mt, slab (no cross-thread frees)")
      ->delimiter(',');
  replay_cmd->add_option("--reps", replay.reps, "repetitions per cell")
      ->capture_default_str();
  replay_cmd
      ->add_option("--out", replay.out,
                   "results directory; the run goes to OUT/<run-id>")
      ->capture_default_str();
  replay_cmd->add_option("--run-id", replay.run_id,
                         "name of the run directory (default: the time)");
  replay_cmd
      ->add_option("--timeout", replay.timeout_s,
                   "per-cell time limit in seconds")
      ->capture_default_str();
  replay_cmd
      ->add_option("--sample-interval-us", replay.sample_interval_us,
                   "RSS sampling interval")
      ->capture_default_str();
  replay_cmd->add_option(
      "--resume", replay.resume,
      "complete the replay run in this directory: only missing cells run");

  // A scalar option given twice keeps its last value, as shells users expect.
  for (CLI::App* sub : {run_cmd, exec_cmd, replay_cmd, record_cmd})
    for (CLI::Option* opt : sub->get_options())
      if (opt->get_expected_max() == 1)
        opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  if (std::string empty = EmptyListItem(argc, argv); !empty.empty()) {
    std::cerr << "allocmark: " << empty << " (see allocmark --help)\n";
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "allocmark: " << e.what() << " (see allocmark --help)\n";
    return kExitUsage;
  }
  std::ostringstream command_line;
  for (int i = 0; i < argc; ++i) command_line << (i ? " " : "") << argv[i];
  run.command_line = command_line.str();
  exec.command_line = run.command_line;
  replay.command_line = run.command_line;
  record.command_line = run.command_line;
  try {
    if (list_cmd->parsed()) return ListCommand(list_json, list_custom);
    if (run_cmd->parsed()) return RunCommand(run);
    if (compare_cmd->parsed()) return CompareCommand(compare_cmd->remaining());
    if (exec_cmd->parsed()) return ExecCommand(exec);
    if (merge_cmd->parsed()) return MergeCommand(merge_out, merge_shards);
    if (record_cmd->parsed()) return RecordCommand(record);
    if (profile_cmd->parsed())
      return ProfileCommand(profile_trace, profile_json);
    if (replay_cmd->parsed()) return ReplayCommand(replay);
  } catch (const UsageError& e) {
    std::cerr << "allocmark: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    // A file system or JSON error after the run began: say it on one line;
    // every cell finished so far is already in cells.jsonl.
    std::cerr << "allocmark: error: " << e.what() << "\n";
    return kExitError;
  }
  return kExitUsage;
}
