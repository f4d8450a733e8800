#include "base/file_text.h"

#include <deque>
#include <fstream>
#include <sstream>

namespace allocmark {

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
