// The files of a run (results/README.md is their schema): run.json, written
// atomically (a temporary file, then rename), and cells.jsonl, one line per
// finished cell, appended and synced as soon as the cell ends so that an
// interrupted run keeps everything it finished. results/latest points at the
// newest run.
#ifndef ALLOCMARK_HARNESS_RESULT_STORE_H_
#define ALLOCMARK_HARNESS_RESULT_STORE_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace allocmark {

inline constexpr int kSchemaVersion = 1;

class RunStore {
 public:
  // Creates <results_root>/<run_id>/ with timeseries/ and logs/ inside;
  // throws UsageError when it cannot be created or written.
  static RunStore Create(const std::filesystem::path& results_root,
                         const std::string& run_id);
  // Opens an existing run directory, for --resume; throws UsageError.
  static RunStore Open(const std::filesystem::path& run_dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path TimeseriesPath(const std::string& cell_id) const;
  std::filesystem::path LogPath(const std::string& cell_id) const;

  void WriteRunJson(const nlohmann::json& run) const;
  // Reads and checks run.json: throws UsageError when it cannot be read, is
  // not JSON, or (at this schema version) a field the harness reads has the
  // wrong type (RunJsonProblem).
  nlohmann::json ReadRunJson() const;
  // Appends one line and syncs it; a torn last line left by a killed driver
  // is cut off first, so that it cannot swallow the new one.
  void AppendCell(const nlohmann::json& cell) const;
  // Every complete line of cells.jsonl (none when the file does not exist),
  // the row at index i from line i + 1; a torn last line (no newline: a crash
  // during a write) is dropped. Throws UsageError naming the line when a
  // complete line is not a cell (CellProblem).
  std::vector<nlohmann::json> ReadCells() const;
  // Makes <results_root>/latest a symbolic link to this run.
  void PointLatest() const;

 private:
  explicit RunStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
};

// Why `run` is not a run.json this harness can read, or "" when it is: an
// integer schema_version, and at kSchemaVersion the fields the harness reads
// (matrix, status, allocators, shard, warnings, counts) of the right types
// where present.
std::string RunJsonProblem(const nlohmann::json& run);
// Why `row` is not a cells.jsonl row, or "": an object with a non-empty
// string cell_id, status "ok" or "failed", and numbers for elapsed_s and
// every figure of harness/figures.json where present.
std::string CellProblem(const nlohmann::json& row);

// Writes `text` to `path` through a temporary file and a rename.
void WriteFileAtomically(const std::filesystem::path& path,
                         const std::string& text);

// The local time as ISO 8601 (2026-11-21T05:30:12+0000), for run.json.
std::string Now();

// A run id from the local time: 20261121-053012 (with -2, -3... if taken).
std::string NewRunId(const std::filesystem::path& results_root);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_RESULT_STORE_H_
