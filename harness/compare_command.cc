#include "harness/compare_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "harness/usage_error.h"

namespace allocmark {
namespace fs = std::filesystem;

std::string ScriptPath(const std::string& name) {
  std::error_code ec;
  fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  const fs::path candidates[] = {
      fs::path(ALLOCMARK_SOURCE_DIR) / "scripts" / name,
      exe_dir / ".." / "scripts" / name, exe_dir / "scripts" / name};
  for (const auto& path : candidates)
    if (fs::is_regular_file(path, ec))
      return fs::weakly_canonical(path, ec).string();
  throw UsageError("cannot find scripts/" + name +
                   " (looked in " ALLOCMARK_SOURCE_DIR "/scripts and beside " +
                   exe_dir.string() + ")");
}

int CompareCommand(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kPython, ScriptPath("compare_runs.py")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::cout.flush();
  execv(kPython, c_argv.data());
  throw UsageError(
      std::string("cannot run ") + kPython + ": " + std::strerror(errno) +
      " (install python3-scipy and python3-numpy: scripts/install_deps.sh)");
}

}  // namespace allocmark
