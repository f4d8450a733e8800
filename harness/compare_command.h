// `allocmark compare ...`: a thin front for scripts/compare_runs.py, which
// holds the statistics (ratio of medians, bootstrap interval, Mann-Whitney
// U). Every argument after `compare` goes to the script unchanged.
#ifndef ALLOCMARK_HARNESS_COMPARE_COMMAND_H_
#define ALLOCMARK_HARNESS_COMPARE_COMMAND_H_

#include <string>
#include <vector>

namespace allocmark {

// The Debian interpreter: it has numpy and scipy (the first python3 on PATH
// may not).
inline constexpr const char* kPython = "/usr/bin/python3";

// The path of scripts/<name>: in the source tree the build came from
// (ALLOCMARK_SOURCE_DIR), else beside or above the allocmark binary.
// Throws UsageError when it is in none of them.
std::string ScriptPath(const std::string& name);

// Replaces this process with `python3 compare_runs.py args...`; returns
// never: throws UsageError when the script or the interpreter is missing.
int CompareCommand(const std::vector<std::string>& args);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_COMPARE_COMMAND_H_
