// Preparing a real program's input before the timed region: the helper
// programs a real-program workload (program_*.cc) runs in its Prepare (a
// repository built by git fast-import, a file preprocessed by clang++ -E) and
// the files it generates. Nothing here is measured.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_PROGRAM_INPUT_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_PROGRAM_INPUT_H_

#include <string>

#include "workloads/support/external_program.h"

namespace allocmark {

// Runs `spec` as a helper (under_test is forced false: no preload) to its
// end, killing it after timeout_s. Returns "" when it exited with status 0,
// else one line: "git exited with status 128: <its output's last lines>".
std::string RunHelperProgram(ProgramSpec spec, double timeout_s);

// Writes `text` to `path`, replacing it. Returns "" or why it could not.
std::string WriteTextFile(const std::string& path, const std::string& text);

// "NAME is not installed: apt-get install PACKAGE" when FindExecutable(name)
// finds nothing (sets `path` to ""), else "" with the program's path in
// `path`.
std::string FindProgram(const std::string& name, const std::string& package,
                        std::string& path);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_PROGRAM_INPUT_H_
