#include "harness/record_command.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>

#include "base/executable.h"
#include "base/process.h"
#include "harness/allocator_choice.h"
#include "harness/callgrind_file.h"
#include "harness/exit_status.h"
#include "harness/result_store.h"
#include "harness/run_command.h"
#include "harness/run_session.h"
#include "harness/usage_error.h"
#include "record/trace_reader.h"
#include "workloads/support/external_program.h"
#include "workloads/support/workload.h"

namespace allocmark {

std::string RecorderLibrary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  auto library = self.parent_path() / "liballocmark-record.so";
  return std::filesystem::exists(library) ? library.string() : "";
}

namespace {

namespace fs = std::filesystem;

// The recorder library; UsageError when it is not built.
std::string RecorderOrThrow() {
  std::string recorder = RecorderLibrary();
  if (recorder.empty())
    throw UsageError(
        "liballocmark-record.so is not beside the allocmark executable "
        "(build the allocmark_record target)");
  return recorder;
}

// The one allocator a recording runs on; UsageError otherwise.
AllocatorChoice OneAllocator(const RecordOptions& o) {
  std::vector<AllocatorChoice> allocators =
      ResolveAllocators({o.allocator}, o.custom_allocators);
  if (allocators.size() != 1)
    throw UsageError("record takes one allocator, got '" + o.allocator + "'");
  return allocators.front();
}

// The program_* workloads `regex` names; UsageError when it names another.
void CheckProgramWorkloads(const std::string& regex) {
  std::regex re;
  try {
    re = std::regex(regex);
  } catch (const std::regex_error& e) {
    throw UsageError("--workloads '" + regex + "': " + e.what());
  }
  std::vector<std::string> others;
  bool any = false;
  for (const WorkloadInfo& w : Workloads()) {
    if (!std::regex_search(w.name, re)) continue;
    if (w.name.starts_with("program_"))
      any = true;
    else
      others.push_back(w.name);
  }
  if (!others.empty())
    throw UsageError(
        "--workloads '" + regex + "' matches " + others.front() +
        (others.size() > 1
             ? " and " + std::to_string(others.size() - 1) + " more"
             : "") +
        ", which start no program: record --workloads records the programs "
        "of program_* workloads (e.g. '^program_')");
  if (!any)
    throw UsageError("--workloads '" + regex +
                     "' matches no program_* workload (allocmark list)");
}

// The traces of a recorded run's cells, checked: every ok cell left one, and
// each was served by `expected_object`. Writes traces.json; returns the
// problems found (printed).
int CheckRecordedTraces(const fs::path& dir, const fs::path& traces,
                        const std::string& expected_object) {
  int problems = 0;
  auto problem = [&](const std::string& what) {
    std::cerr << "allocmark: " << what << "\n";
    ++problems;
  };
  nlohmann::json listed = nlohmann::json::array();
  for (const nlohmann::json& row : RunStore::Open(dir).ReadCells()) {
    if (row.value("status", "") != "ok") continue;
    const std::string stem = row.value("workload", "") + "-t" +
                             std::to_string(row.value("threads", 0));
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(traces, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with(stem + ".trace") || name.starts_with(stem + "-"))
        found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    if (found.empty()) {
      problem("cell " + row.value("cell_id", "") +
              " left no trace: its programs did not load the recorder "
              "(statically linked, or a cleared environment)");
      continue;
    }
    for (const fs::path& path : found) {
      std::optional<trace::TraceFile> read;
      try {
        read.emplace(path.string());
      } catch (const trace::TraceError& e) {
        problem(e.what());  // cut off mid-write: a program killed
        continue;
      }
      const trace::TraceFile& file = *read;
      const std::string object = CanonicalPath(file.header().malloc_object);
      if (object != expected_object)
        problem(path.string() + ": its calls reached " +
                (object.empty() ? "an unknown object" : object) + ", not " +
                expected_object);
      listed.push_back(
          {{"cell_id", row.value("cell_id", "")},
           {"workload", row.value("workload", "")},
           {"threads", row.value("threads", 0)},
           {"trace", fs::relative(path, dir).string()},
           {"origin", file.header().origin},
           {"complete", file.end().has_value()},
           {"events", file.events()},
           {"trace_threads", file.threads()},
           {"bytes", file.file_bytes()},
           {"malloc_object", object},
           {"wall_s", row.contains("wall_s") ? row["wall_s"] : nullptr}});
      std::cerr << "allocmark: " << fs::relative(path, dir).string() << ": "
                << file.events() << " calls of " << file.threads()
                << " thread(s), " << file.file_bytes() << " bytes\n";
    }
  }
  std::ofstream(traces / "traces.json") << listed.dump(1) << "\n";
  return problems;
}

int RecordWorkloads(const RecordOptions& o) {
  if (!o.command.empty())
    throw UsageError(
        "record takes --workloads or a command after --, not both");
  CheckProgramWorkloads(o.workloads);
  const std::string recorder = RecorderOrThrow();
  const AllocatorChoice allocator = OneAllocator(o);
  const std::string expected_object =
      allocator.library.empty() ? LibcPath() : CanonicalPath(allocator.library);

  const fs::path dir = fs::absolute(o.out.empty() ? "traces" : o.out);
  const fs::path traces = dir / "traces";
  std::error_code ec;
  if (fs::exists(dir / "run.json", ec))
    throw UsageError(dir.string() +
                     " already holds a recording: choose another -o");
  if (!fs::is_directory(dir.parent_path(), ec))
    throw UsageError("-o " + dir.string() + ": the directory " +
                     dir.parent_path().string() + " does not exist");
  fs::create_directories(traces, ec);
  if (ec)
    throw UsageError("cannot create " + traces.string() + ": " + ec.message());
  if (!fs::is_empty(traces, ec))
    throw UsageError(traces.string() +
                     " already holds files: choose another -o");

  // The children pass these to the programs under test (external_program.h).
  setenv(kRecordProgramsVariable, traces.c_str(), 1);
  setenv(kRecordLibraryVariable, recorder.c_str(), 1);
  setenv("ALLOCMARK_RECORD_ALLOCATOR", allocator.name.c_str(), 1);
  RunOptions run;
  run.workloads = o.workloads;
  run.allocators = {o.allocator};
  run.custom_allocators = o.custom_allocators;
  run.heaps = {"malloc"};
  run.reps = 1;
  run.profile = o.profile;
  run.params = o.params;
  run.out = dir.parent_path().string();
  run.run_id = dir.filename().string();
  run.command_line = o.command_line;
  run.subcommand = kRecordSubcommand;
  const int status = RunCommand(run);
  if (status == kExitInterrupted) {
    // `run --resume` would complete the run without the recorder.
    std::cerr << "allocmark: the recording was interrupted: its traces so far "
                 "are in "
              << traces.string() << "; record again with another -o\n";
    return status;
  }
  if (!fs::exists(dir / "cells.jsonl", ec)) return status;
  const int problems = CheckRecordedTraces(dir, traces, expected_object);
  std::cerr << "allocmark: traces in " << traces.string()
            << " (listed in traces.json); replay one with allocmark replay "
            << traces.string() << "/<workload>-t<threads>.trace\n";
  return problems > 0 ? kExitCellsFailed : status;
}

}  // namespace

int RecordCommand(const RecordOptions& o_in) {
  if (!o_in.workloads.empty()) return RecordWorkloads(o_in);
  RecordOptions o = o_in;
  if (o.out.empty()) o.out = "allocmark.trace";
  if (o.command.empty())
    throw UsageError(
        "record needs a command after --, e.g. allocmark record -o t -- ls");
  std::string path = FindExecutable(o.command[0]);
  if (path.empty())
    throw UsageError(
        "command '" + o.command[0] + "' is not an executable file" +
        (o.command[0].find('/') == std::string::npos ? " in PATH" : ""));
  const std::string recorder = RecorderOrThrow();
  const AllocatorChoice allocator = OneAllocator(o);

  const fs::path out = fs::absolute(o.out);
  std::error_code ec;
  if (!fs::is_directory(out.parent_path(), ec))
    throw UsageError("-o " + o.out + ": the directory " +
                     out.parent_path().string() + " does not exist");
  // The recorder creates FILE (and FILE.PID for other processes) anew.
  fs::remove(out, ec);
  for (const auto& entry : fs::directory_iterator(out.parent_path(), ec))
    if (entry.path().filename().string().starts_with(out.filename().string() +
                                                     ".") &&
        entry.path().filename().string().find_first_not_of(
            "0123456789.", out.filename().string().size()) == std::string::npos)
      fs::remove(entry.path(), ec);

  SpawnSpec spec;
  spec.argv = o.command;
  spec.argv[0] = path;
  // The recorder first, so that its definitions come before the allocator's.
  spec.env["LD_PRELOAD"] =
      allocator.library.empty() ? recorder : recorder + ":" + allocator.library;
  spec.env["ALLOCMARK_RECORD_OUT"] = out.string();
  spec.env["ALLOCMARK_RECORD_ALLOCATOR"] = allocator.name;
  Process process;
  if (std::string error = process.Start(spec); !error.empty())
    throw UsageError("cannot start " + path + ": " + error);
  ProcessExit exit = process.Reap();

  std::vector<std::string> streams;
  for (const auto& entry : fs::directory_iterator(out.parent_path(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(out.filename().string() + ".") &&
        name.find_first_not_of("0123456789.", out.filename().string().size()) ==
            std::string::npos)
      streams.push_back(entry.path().string());
  }
  if (!fs::exists(out))
    throw UsageError("the command wrote no trace to " + out.string() +
                     " (is it statically linked?)");
  trace::TraceFile trace(out.string());  // a damaged trace: TraceError
  std::cerr << "allocmark: recorded " << trace.events() << " calls of "
            << trace.threads() << " thread(s) to " << out.string() << " ("
            << trace.file_bytes() << " bytes)";
  if (!trace.end())
    std::cerr << "; the program ended without exit() ("
              << DescribeExit(exit.exit_code, exit.signal)
              << "): the calls up to its end are kept";
  std::cerr << "\n";
  if (!streams.empty()) {
    std::sort(streams.begin(), streams.end());
    std::cerr << "allocmark: " << streams.size()
              << " more process(es) (forked, or before an exec) recorded "
                 "beside it:";
    for (std::size_t i = 0; i < streams.size() && i < 5; ++i)
      std::cerr << " " << streams[i];
    std::cerr << (streams.size() > 5 ? " ...\n" : "\n");
  }
  if (exit.signal != 0) return 128 + exit.signal;
  return exit.exit_code;
}

}  // namespace allocmark
