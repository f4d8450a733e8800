#include "workloads/support/program_input.h"

#include <filesystem>
#include <fstream>

#include "base/executable.h"
#include "base/file_text.h"

namespace allocmark {

std::string RunHelperProgram(ProgramSpec spec, double timeout_s) {
  spec.under_test = false;
  const std::string name =
      std::filesystem::path(spec.argv.at(0)).filename().string();
  Program program;
  if (std::string error = program.Start(spec); !error.empty())
    return "cannot start " + name + ": " + error;
  ProgramExit exit = program.Wait(timeout_s);
  if (exit.ok()) return "";
  std::string reason = name + " " + exit.Describe(timeout_s);
  if (std::string tail = TailOfFile(spec.output_path); !tail.empty())
    reason += ": " + tail;
  return reason;
}

std::string WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return "cannot write " + path;
  return "";
}

std::string FindProgram(const std::string& name, const std::string& package,
                        std::string& path) {
  path = FindExecutable(name);
  if (!path.empty()) return "";
  return name + " is not installed: apt-get install " + package;
}

}  // namespace allocmark
