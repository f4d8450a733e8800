#include "base/executable.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace allocmark {
namespace {

bool IsExecutableFile(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) &&
         access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string FindExecutable(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos)
    return IsExecutableFile(name) ? std::filesystem::absolute(name).string()
                                  : "";
  const char* path_env = std::getenv("PATH");
  std::stringstream dirs(path_env != nullptr ? path_env
                                             : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (IsExecutableFile(candidate))
      return std::filesystem::absolute(candidate).string();
  }
  return "";
}

std::string WhyNotExecutable(const std::string& name) {
  namespace fs = std::filesystem;
  const std::string quoted = "'" + name + "'";
  std::string path = FindExecutable(name);
  if (path.empty()) {
    std::error_code ec;
    if (name.find('/') == std::string::npos)
      return "command " + quoted + " is not found in PATH";
    if (!fs::exists(name, ec)) return "command " + quoted + " does not exist";
    if (fs::is_directory(name, ec))
      return "command " + quoted + " is a directory";
    return "command " + quoted + " is not executable (chmod +x " + name + ")";
  }
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!std::getline(in, line) || line.rfind("#!", 0) != 0) return "";
  std::istringstream words(line.substr(2));
  std::string interpreter, first_arg;
  words >> interpreter >> first_arg;
  if (interpreter.empty())
    return "script " + quoted + " names no interpreter on its #! line";
  if (FindExecutable(interpreter).empty() || interpreter.front() != '/')
    return "script " + quoted + " needs " + interpreter +
           " (its #! line), which is not an executable file";
  if (fs::path(interpreter).filename() == "env" && !first_arg.empty() &&
      first_arg.front() != '-' && FindExecutable(first_arg).empty())
    return "script " + quoted + " needs " + first_arg +
           " (its #! line runs env), which is not found in PATH";
  return "";
}

}  // namespace allocmark
