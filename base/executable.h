// Finding a program to run, the way a shell does: the driver checks the
// command of `allocmark exec`, the real-program workloads find their
// interpreters and servers.
#ifndef ALLOCMARK_BASE_EXECUTABLE_H_
#define ALLOCMARK_BASE_EXECUTABLE_H_

#include <string>

namespace allocmark {

// The absolute path of `name` itself when it contains a '/', else of its
// first match in $PATH (an empty entry is the current directory; no PATH:
// /usr/local/bin:/usr/bin:/bin). "" when that is no executable regular file.
std::string FindExecutable(const std::string& name);

// Why `name` cannot be run, in one line, or "" when it can: not found (in
// $PATH), a directory, not executable, or a script whose "#!" interpreter
// is not an executable file (for "#!/usr/bin/env NAME", NAME not in $PATH).
// For a command checked before anything runs (`allocmark exec`).
std::string WhyNotExecutable(const std::string& name);

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_EXECUTABLE_H_
