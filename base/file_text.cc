#include "base/file_text.h"

#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <fstream>
#include <sstream>

namespace allocmark {

int PreadNumbers(int fd, std::int64_t* out, int count) {
  char buf[128];
  ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char* at = buf;
  int read = 0;
  while (read < count) {
    char* end = nullptr;
    long long value = std::strtoll(at, &end, 10);
    if (end == at) break;
    out[read++] = static_cast<std::int64_t>(value);
    at = end;
  }
  return read;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string TailOfFile(const std::string& path, int lines) {
  if (path.empty()) return "";
  std::ifstream in(path);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string text;
  for (const auto& line : last) text += (text.empty() ? "" : " | ") + line;
  return text.size() > 400 ? "..." + text.substr(text.size() - 400) : text;
}

}  // namespace allocmark
