#include "harness/result_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "harness/figures.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace fs = std::filesystem;
namespace {

bool IsCount(const nlohmann::json& j) {
  return j.is_number_unsigned() || (j.is_number_integer() && j >= 0);
}

bool IsStringArray(const nlohmann::json& j) {
  return j.is_array() && std::all_of(j.begin(), j.end(), [](const auto& e) {
           return e.is_string();
         });
}

// The offset just past the last newline of the first `end` bytes of fd; 0
// when there is none.
off_t EndOfLastLine(int fd, off_t end) {
  char buf[4096];
  while (end > 0) {
    off_t from = end > static_cast<off_t>(sizeof(buf))
                     ? end - static_cast<off_t>(sizeof(buf))
                     : 0;
    ssize_t n = pread(fd, buf, static_cast<std::size_t>(end - from), from);
    if (n <= 0) return 0;
    for (ssize_t i = n - 1; i >= 0; --i)
      if (buf[i] == '\n') return from + i + 1;
    end = from;
  }
  return 0;
}

}  // namespace

std::string RunJsonProblem(const nlohmann::json& run) {
  if (!run.is_object()) return "not a JSON object";
  if (!run.contains("schema_version")) return "no schema_version";
  if (!run["schema_version"].is_number_integer())
    return "schema_version is not an integer";
  // Another schema version may shape its fields otherwise; the caller
  // reports the version itself.
  if (run["schema_version"] != kSchemaVersion) return "";
  for (const char* key :
       {"run_id", "status", "command_line", "started_at", "finished_at"})
    if (run.contains(key) && !run[key].is_string())
      return std::string("'") + key + "' is not a string";
  for (const char* key : {"cells_planned", "cells_recorded"})
    if (run.contains(key) && !IsCount(run[key]))
      return std::string("'") + key + "' is not a count";
  if (run.contains("warnings") && !IsStringArray(run["warnings"]))
    return "'warnings' is not a list of strings";
  if (run.contains("matrix") && !run["matrix"].is_object())
    return "'matrix' is not an object";
  if (run.contains("shard")) {
    const auto& s = run["shard"];
    if (!s.is_object() || !s.contains("index") || !s.contains("count") ||
        !s["index"].is_number_integer() || !s["count"].is_number_integer() ||
        s["count"] < 1 || s["index"] < 1 || s["index"] > s["count"])
      return "'shard' is not {\"index\": I, \"count\": N} with 1 <= I <= N";
  }
  if (run.contains("allocators")) {
    const auto& list = run["allocators"];
    if (!list.is_array()) return "'allocators' is not a list";
    for (const auto& a : list) {
      if (!a.is_object()) return "an entry of 'allocators' is not an object";
      for (const char* key : {"name", "library", "proven", "version"})
        if (a.contains(key) && !a[key].is_string())
          return std::string("an entry of 'allocators' has a '") + key +
                 "' that is not a string";
    }
  }
  return "";
}

std::string CellProblem(const nlohmann::json& row) {
  if (!row.is_object()) return "not a JSON object";
  if (!row.contains("cell_id") || !row["cell_id"].is_string() ||
      row["cell_id"].get_ref<const std::string&>().empty())
    return "no cell_id";
  for (const char* key : {"status", "workload", "heap", "allocator", "error",
                          "timeseries", "log"})
    if (row.contains(key) && !row[key].is_string())
      return std::string("'") + key + "' is not a string";
  if (row.contains("status") && row["status"] != "ok" &&
      row["status"] != "failed")
    return "'status' is neither \"ok\" nor \"failed\"";
  if (row.contains("threads") && !row["threads"].is_number_integer())
    return "'threads' is not an integer";
  if (row.contains("rep") && !row["rep"].is_number_integer())
    return "'rep' is not an integer";
  if (row.contains("elapsed_s") && !row["elapsed_s"].is_number())
    return "'elapsed_s' is not a number";
  for (Figure f : Figure::All()) {
    auto it = row.find(std::string(f.name()));
    if (it == row.end() || it->is_number()) continue;
    std::string problem = "'";
    problem += f.name();
    problem += "' is not a number";
    return problem;
  }
  if (row.contains("params") && !row["params"].is_object())
    return "'params' is not an object";
  return "";
}

void WriteFileAtomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error(tmp.string() + ": " + std::strerror(errno));
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
  // The rename itself survives a power cut only once the directory is synced.
  int dir_fd =
      open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
           O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
}

std::string Now() {
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
  return buf;
}

std::string NewRunId(const fs::path& results_root) {
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", std::localtime(&now));
  std::string id = stamp;
  for (int i = 2; fs::exists(results_root / id); ++i)
    id = std::string(stamp) + "-" + std::to_string(i);
  return id;
}

RunStore RunStore::Create(const fs::path& results_root,
                          const std::string& run_id) {
  fs::path dir = results_root / run_id;
  std::error_code ec;
  // A second run under the same id would mix its cells into the first's.
  if (fs::exists(dir / "run.json", ec) || fs::exists(dir / "cells.jsonl", ec))
    throw UsageError(dir.string() +
                     " already holds a run: choose another --run-id, or "
                     "continue it with --resume " +
                     dir.string());
  fs::create_directories(dir / "timeseries", ec);
  if (!ec) fs::create_directories(dir / "logs", ec);
  if (ec)
    throw UsageError("cannot create the results directory " + dir.string() +
                     ": " + ec.message());
  if (access(dir.c_str(), W_OK) != 0)
    throw UsageError("cannot write to the results directory " + dir.string() +
                     ": " + std::strerror(errno));
  return RunStore(dir);
}

RunStore RunStore::Open(const fs::path& run_dir) {
  if (!fs::is_regular_file(run_dir / "run.json"))
    throw UsageError(run_dir.string() +
                     " is not a run directory (no run.json)");
  if (access(run_dir.c_str(), W_OK) != 0)
    throw UsageError("cannot write to " + run_dir.string() + ": " +
                     std::strerror(errno));
  std::error_code ec;
  fs::create_directories(run_dir / "timeseries", ec);
  fs::create_directories(run_dir / "logs", ec);
  return RunStore(run_dir);
}

fs::path RunStore::TimeseriesPath(const std::string& cell_id) const {
  return dir_ / "timeseries" / (cell_id + ".csv");
}

fs::path RunStore::LogPath(const std::string& cell_id) const {
  return dir_ / "logs" / (cell_id + ".log");
}

void RunStore::WriteRunJson(const nlohmann::json& run) const {
  WriteFileAtomically(dir_ / "run.json", run.dump(2) + "\n");
}

nlohmann::json RunStore::ReadRunJson() const {
  fs::path path = dir_ / "run.json";
  std::ifstream in(path);
  if (!in)
    throw UsageError(path.string() +
                     ": cannot be read: " + std::strerror(errno));
  nlohmann::json run = nlohmann::json::parse(in, nullptr, false);
  if (run.is_discarded() || !run.is_object())
    throw UsageError(path.string() + ": not valid JSON");
  if (std::string problem = RunJsonProblem(run); !problem.empty())
    throw UsageError(path.string() + ": " + problem);
  return run;
}

void RunStore::AppendCell(const nlohmann::json& cell) const {
  fs::path path = dir_ / "cells.jsonl";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error(path.string() + ": " + std::strerror(errno));
  // A torn last line (the driver killed during a write) would swallow the
  // line appended after it: cut it off first.
  off_t end = lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (end > 0 && pread(fd, &last, 1, end - 1) == 1 && last != '\n') {
    end = EndOfLastLine(fd, end);
    if (ftruncate(fd, end) != 0) end = -1;
  }
  // One write of a whole line: a reader never sees half a cell unless the
  // machine itself stops, and ReadCells drops such a torn line.
  std::string line = cell.dump() + "\n";
  ssize_t n = end < 0 ? -1 : pwrite(fd, line.data(), line.size(), end);
  fsync(fd);
  close(fd);
  if (n != static_cast<ssize_t>(line.size()))
    throw std::runtime_error(path.string() + ": short write");
}

std::vector<nlohmann::json> RunStore::ReadCells() const {
  fs::path path = dir_ / "cells.jsonl";
  std::vector<nlohmann::json> cells;
  if (!fs::exists(path)) return cells;
  std::ifstream in(path);
  if (!in)
    throw UsageError(path.string() +
                     ": cannot be read: " + std::strerror(errno));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    // The last line without its newline is a write the driver did not
    // finish: it holds no cell.
    if (in.eof()) break;
    auto row = nlohmann::json::parse(line, nullptr, false);
    std::string problem =
        row.is_discarded() ? "not valid JSON" : CellProblem(row);
    if (!problem.empty())
      throw UsageError(path.string() + " line " + std::to_string(number) +
                       ": " + problem);
    cells.push_back(std::move(row));
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
