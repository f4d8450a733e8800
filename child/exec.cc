#include "child/exec.h"

#include <iostream>

#include "base/executable.h"
#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/rng.h"

namespace allocmark {
namespace {

class ExecInstance final : public WorkloadInstance {
 public:
  explicit ExecInstance(std::vector<std::string> command)
      : command_(std::move(command)) {
    for (const auto& arg : command_) {
      for (char c : arg) hash_.Add(static_cast<unsigned char>(c));
      hash_.Add(0);
    }
  }

  std::uint64_t RequestChecksum() const override { return hash_.value(); }

  void Run(HeapKind, RunContext& ctx) override {
    TempDir dir;
    if (dir.path().empty()) {
      ctx.Fail("cannot create a temporary directory");
      return;
    }
    ProgramSpec spec;
    spec.argv = command_;
    spec.output_path = dir.File("output");
    // No limit here: the driver's per-cell time limit kills the child, and
    // the program with it (its parent-death signal).
    if (auto exit = RunMeasuredProgram(spec, 0, ctx)) {
      ctx.AddOps(0, 1);
      ctx.SetCounter("exit_code", exit->exit_code);
    }
    std::cout << "--- output of " << command_[0] << "\n"
              << ReadFileText(spec.output_path) << std::flush;
  }

 private:
  std::vector<std::string> command_;
  RequestHash hash_;
};

}  // namespace

std::unique_ptr<WorkloadInstance> MakeExecInstance(
    const std::vector<std::string>& command, std::string* error) {
  std::string path = command.empty() ? "" : FindExecutable(command[0]);
  if (path.empty()) {
    *error = command.empty() ? "exec needs a command"
                             : "'" + command[0] + "' is not an executable file";
    return nullptr;
  }
  std::vector<std::string> argv = command;
  argv[0] = path;
  return std::make_unique<ExecInstance>(std::move(argv));
}

}  // namespace allocmark
