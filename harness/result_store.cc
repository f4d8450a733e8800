#include "harness/result_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "harness/usage_error.h"

namespace allocmark {
namespace fs = std::filesystem;

void WriteFileAtomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(tmp.string() + ": " + std::strerror(errno));
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = write(fd, data, left);
    if (n < 0) {
      close(fd);
      throw std::runtime_error(tmp.string() + ": " + std::strerror(errno));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  fsync(fd);
  close(fd);
  fs::rename(tmp, path);
}

std::string NewRunId(const fs::path& results_root) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  std::string id = stamp;
  for (int i = 2; fs::exists(results_root / id); ++i) id = std::string(stamp) + "-" + std::to_string(i);
  return id;
}

RunStore RunStore::Create(const fs::path& results_root, const std::string& run_id) {
  fs::path dir = results_root / run_id;
  std::error_code ec;
  fs::create_directories(dir / "timeseries", ec);
  if (!ec) fs::create_directories(dir / "logs", ec);
  if (ec) throw UsageError("cannot create the results directory " + dir.string() + ": " + ec.message());
  if (access(dir.c_str(), W_OK) != 0)
    throw UsageError("cannot write to the results directory " + dir.string() + ": " + std::strerror(errno));
  return RunStore(dir);
}

RunStore RunStore::Open(const fs::path& run_dir) {
  if (!fs::is_regular_file(run_dir / "run.json"))
    throw UsageError(run_dir.string() + " is not a run directory (no run.json)");
  if (access(run_dir.c_str(), W_OK) != 0)
    throw UsageError("cannot write to " + run_dir.string() + ": " + std::strerror(errno));
  std::error_code ec;
  fs::create_directories(run_dir / "timeseries", ec);
  fs::create_directories(run_dir / "logs", ec);
  return RunStore(run_dir);
}

fs::path RunStore::TimeseriesPath(const std::string& cell_id) const {
  return dir_ / "timeseries" / (cell_id + ".csv");
}

fs::path RunStore::LogPath(const std::string& cell_id) const { return dir_ / "logs" / (cell_id + ".log"); }

void RunStore::WriteRunJson(const nlohmann::json& run) const {
  WriteFileAtomically(dir_ / "run.json", run.dump(2) + "\n");
}

nlohmann::json RunStore::ReadRunJson() const {
  std::ifstream in(dir_ / "run.json");
  nlohmann::json run = nlohmann::json::parse(in, nullptr, false);
  if (run.is_discarded() || !run.is_object())
    throw UsageError((dir_ / "run.json").string() + ": not valid JSON");
  return run;
}

void RunStore::AppendCell(const nlohmann::json& cell) const {
  fs::path path = dir_ / "cells.jsonl";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(path.string() + ": " + std::strerror(errno));
  // One write of a whole line: a reader never sees half a cell unless the
  // machine itself stops, and ReadCells drops such a torn line.
  std::string line = cell.dump() + "\n";
  ssize_t n = write(fd, line.data(), line.size());
  fsync(fd);
  close(fd);
  if (n != static_cast<ssize_t>(line.size())) throw std::runtime_error(path.string() + ": short write");
}

std::vector<nlohmann::json> RunStore::ReadCells() const {
  std::vector<nlohmann::json> cells;
  std::ifstream in(dir_ / "cells.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) cells.push_back(std::move(j));
  }
  return cells;
}

void RunStore::PointLatest() const {
  fs::path link = dir_.parent_path() / "latest";
  fs::path tmp = dir_.parent_path() / ".latest.tmp";
  std::error_code ec;
  fs::remove(tmp, ec);
  fs::create_directory_symlink(dir_.filename(), tmp, ec);
  if (!ec) fs::rename(tmp, link, ec);
}

}  // namespace allocmark
