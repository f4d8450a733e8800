#include "harness/record_command.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <string>

#include "base/executable.h"
#include "base/process.h"
#include "harness/allocator_choice.h"
#include "harness/usage_error.h"
#include "record/trace_reader.h"

namespace allocmark {

std::string RecorderLibrary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  auto library = self.parent_path() / "liballocmark-record.so";
  return std::filesystem::exists(library) ? library.string() : "";
}

int RecordCommand(const RecordOptions& o) {
  if (o.command.empty())
    throw UsageError(
        "record needs a command after --, e.g. allocmark record -o t -- ls");
  std::string path = FindExecutable(o.command[0]);
  if (path.empty())
    throw UsageError(
        "command '" + o.command[0] + "' is not an executable file" +
        (o.command[0].find('/') == std::string::npos ? " in PATH" : ""));
  const std::string recorder = RecorderLibrary();
  if (recorder.empty())
    throw UsageError(
        "liballocmark-record.so is not beside the allocmark executable "
        "(build the allocmark_record target)");
  std::vector<AllocatorChoice> allocators =
      ResolveAllocators({o.allocator}, o.custom_allocators);
  if (allocators.size() != 1)
    throw UsageError("record takes one allocator, got '" + o.allocator + "'");
  const AllocatorChoice& allocator = allocators.front();

  namespace fs = std::filesystem;
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
