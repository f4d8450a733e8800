// Reading what a process left in a file: a program's output for a failure's
// reason, /proc files.
#ifndef ALLOCMARK_BASE_FILE_TEXT_H_
#define ALLOCMARK_BASE_FILE_TEXT_H_

#include <string>

namespace allocmark {

// The whole file; "" when it cannot be read (or is empty).
std::string ReadFileText(const std::string& path);

// The last `lines` non-empty lines of a file, joined with " | ", at most the
// last 400 characters ("..." before them when cut): the reason a program
// gave when it failed. "" when the file is missing, empty or `path` is "".
std::string TailOfFile(const std::string& path, int lines = 3);

}  // namespace allocmark

#endif  // ALLOCMARK_BASE_FILE_TEXT_H_
