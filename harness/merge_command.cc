#include "harness/merge_command.h"

#include <filesystem>
#include <iostream>
#include <set>
#include <vector>

#include "harness/result_store.h"
#include "harness/summary.h"
#include "harness/usage_error.h"

namespace allocmark {
namespace fs = std::filesystem;
namespace {

// What must be equal for two shards to belong to one run.
nlohmann::json Identity(const nlohmann::json& run) {
  nlohmann::json versions = nlohmann::json::array();
  for (const auto& a : run.value("allocators", nlohmann::json::array()))
    versions.push_back({a.value("name", ""), a.value("version", "")});
  nlohmann::json matrix = run.value("matrix", nlohmann::json::object());
  if (matrix.is_object()) matrix.erase("shard");
  return {{"schema_version", run.value("schema_version", nlohmann::json(0))},
          {"matrix", matrix},
          {"allocators", versions}};
}

void CopyTree(const fs::path& from, const fs::path& to) {
  if (!fs::is_directory(from)) return;
  fs::create_directories(to);
  fs::copy(from, to,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

// Undoes a merge that fails: removes what it created under its output
// directory, and nothing else. When the directory did not exist, that is the
// directory and the parents it needed; otherwise the files and directories
// that appeared among those a merge writes (a file that was there keeps
// whatever the merge added to it).
class MergeUndo {
 public:
  explicit MergeUndo(const fs::path& out) : out_(out) {
    std::error_code ec;
    for (fs::path p = fs::absolute(out, ec); !ec && !p.empty() && !Exists(p);
         p = p.parent_path()) {
      created_ = p;
      if (p == p.parent_path()) break;
    }
    if (created_.empty())
      for (const char* name : kWritten) Remember(out_ / name);
  }
  MergeUndo(const MergeUndo&) = delete;
  MergeUndo& operator=(const MergeUndo&) = delete;
  ~MergeUndo() {
    if (kept_) return;
    std::error_code ec;
    if (!created_.empty()) {
      fs::remove_all(created_, ec);
      return;
    }
    for (const char* name : kWritten) RemoveNew(out_ / name);
  }
  // The merge succeeded: keep everything.
  void Keep() { kept_ = true; }

 private:
  static constexpr const char* kWritten[] = {
      "run.json", "run.json.tmp", "cells.jsonl", "timeseries", "logs"};

  static bool Exists(const fs::path& p) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(p, ec));
  }
  static std::vector<fs::path> Children(const fs::path& dir) {
    std::vector<fs::path> children;
    std::error_code ec;
    if (!fs::is_directory(fs::symlink_status(dir, ec))) return children;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec))
      children.push_back(it->path());
    return children;
  }
  void Remember(const fs::path& p) {
    if (!Exists(p)) return;
    before_.insert(p);
    for (const auto& child : Children(p)) Remember(child);
  }
  void RemoveNew(const fs::path& p) {
    std::error_code ec;
    if (!Exists(p)) return;
    if (!before_.contains(p)) {
      fs::remove_all(p, ec);
      return;
    }
    for (const auto& child : Children(p)) RemoveNew(child);
  }

  fs::path out_;
  fs::path created_;  // the topmost directory the merge creates, if any
  std::set<fs::path> before_;
  bool kept_ = false;
};

}  // namespace

int MergeCommand(const std::string& out,
                 const std::vector<std::string>& shard_dirs) {
  if (shard_dirs.empty())
    throw UsageError("merge needs at least one shard directory");
  if (fs::exists(fs::path(out) / "run.json"))
    throw UsageError(out + " already holds a run; merge into a new directory");
  std::vector<RunStore> shards;
  std::vector<nlohmann::json> runs;
  std::set<int> seen_index;
  for (const auto& dir : shard_dirs) {
    shards.push_back(RunStore::Open(dir));
    runs.push_back(shards.back().ReadRunJson());
    const auto& run = runs.back();
    if (run.value("schema_version", nlohmann::json(0)) != kSchemaVersion)
      throw UsageError(dir + "/run.json: schema version " +
                       run.value("schema_version", nlohmann::json(0)).dump() +
                       " (this allocmark knows " +
                       std::to_string(kSchemaVersion) + ")");
    shards.back().ReadCells();  // a malformed cells.jsonl is refused before
                                // anything is written
    if (Identity(run) != Identity(runs.front()))
      throw UsageError(dir +
                       " is a shard of another matrix or was measured with "
                       "other allocator versions than " +
                       shard_dirs.front());
    int index = run.contains("shard") ? run["shard"].value("index", 1) : 1;
    if (!seen_index.insert(index).second)
      throw UsageError(dir + ": shard " + std::to_string(index) +
                       " is given twice");
  }

  fs::path out_dir(out);
  MergeUndo undo(out_dir);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw UsageError("cannot create " + out + ": " + ec.message());
  RunStore merged = RunStore::Open([&] {
    WriteFileAtomically(out_dir / "run.json", "{}\n");
    return out_dir;
  }());
  std::set<std::string> cell_ids;
  std::vector<nlohmann::json> rows;
  nlohmann::json shard_info = nlohmann::json::array();
  bool complete = true;
  for (std::size_t i = 0; i < shards.size(); ++i) {
    for (auto& row : shards[i].ReadCells()) {
      if (!cell_ids.insert(row.value("cell_id", "")).second)
        throw UsageError("cell " + row.value("cell_id", "") +
                         " is in two shards (" + shard_dirs[i] + ")");
      rows.push_back(std::move(row));
    }
    CopyTree(shards[i].dir() / "timeseries", out_dir / "timeseries");
    CopyTree(shards[i].dir() / "logs", out_dir / "logs");
    const auto& run = runs[i];
    complete = complete && run.value("status", "") == "complete";
    shard_info.push_back(
        {{"dir", shard_dirs[i]},
         {"shard", run.value("shard", nlohmann::json())},
         {"status", run.value("status", "")},
         {"cells_recorded", run.value("cells_recorded", nlohmann::json(0))},
         {"environment", run.value("environment", nlohmann::json())}});
  }
  for (const auto& row : rows) merged.AppendCell(row);
  nlohmann::json run = runs.front();
  run["run_id"] = out_dir.filename().string();
  run.erase("shard");
  if (run.contains("matrix"))
    run["matrix"].erase("shard");  // a run.json may lack it (fuzz_run_files)
  run["shards"] = shard_info;
  run["cells_recorded"] = rows.size();
  std::size_t planned = 0;
  for (const auto& r : runs)
    planned += r.value("cells_planned", std::size_t{0});
  run["cells_planned"] = planned;
  run["status"] = complete ? "complete" : "interrupted";
  merged.WriteRunJson(run);
  undo.Keep();
  std::cout << FormatSummary(rows) << "merged " << shards.size() << " shards, "
            << rows.size() << " cells: " << out_dir.string() << "\n";
  bool failed = std::any_of(rows.begin(), rows.end(), [](const auto& r) {
    return r.value("status", "") != "ok";
  });
  return complete && !failed ? 0 : kExitCellsFailed;
}

}  // namespace allocmark
