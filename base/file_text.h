// Reading what a process left in a file: a program's output for a failure's
// reason, /proc files.
#ifndef ALLOCMARK_BASE_FILE_TEXT_H_
#define ALLOCMARK_BASE_FILE_TEXT_H_

#include <cstdint>
#include <string>

namespace allocmark {

// The first `count` whitespace-separated integers of the open file `fd`,
// read from its start with one pread and no allocation (for readers that
// run at a fixed rate: /proc/PID/statm, memory.current) into out; returns
// how many were read, 0 on a read error.
int PreadNumbers(int fd, std::int64_t* out, int count);

// The whole file; "" when it cannot be read (or is empty).
std::string ReadFileText(const std::string& path);

// The last `lines` non-empty lines of a file, joined with " | ", at most the
// last 400 characters ("..." before them when cut): the reason a program
// gave when it failed. "" when the file is missing, empty or `path` is "".
std::string TailOfFile(const std::string& path, int lines = 3);

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_FILE_TEXT_H_
