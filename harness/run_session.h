// The lifecycle of a run, shared by every subcommand that makes one (`run`,
// `exec`): a new run directory or the one to resume, run.json written as the
// run starts and again as it ends, the cells run in order with progress, the
// summary, and the exit status (exit_status.h).
//
//   RunSession session("run", options.resume);  // reads run.json to resume
//   ... options from session.run_json() when session.resumed() ...
//   if (!session.Start(allocators, start)) return kExitInterrupted;
//   session.RunCells(cells, limits, passes, "/5");
//   return session.Finish();
#ifndef ALLOCMARK_HARNESS_RUN_SESSION_H_
#define ALLOCMARK_HARNESS_RUN_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/allocator_choice.h"
#include "harness/cell_loop.h"
#include "harness/matrix.h"
#include "harness/result_store.h"

namespace allocmark {

// The subcommand of a recording (run.json's "subcommand"): never resumed.
inline constexpr const char* kRecordSubcommand = "record";

// What a new run's run.json holds beyond the fields every run has.
struct NewRunFields {
  std::string command_line;
  // The warnings to record and print, given the environment (environment.h).
  std::function<nlohmann::json(const nlohmann::json& environment)> warnings;
  // The subcommand's own fields: its options (to resume with), its workloads.
  std::function<void(nlohmann::json& run)> describe;
};

// Where a session puts a new run, and which rows a resumed one may hold.
struct SessionStart {
  std::string out;     // results directory of a new run
  std::string run_id;  // its name; empty: from the clock
  // The run's cells: a resumed run's rows must be among them, or a
  // repetition below max_reps of one of their configurations (0: none).
  const std::vector<Cell>* cells = nullptr;
  int max_reps = 0;
  NewRunFields fields;
};

// A start for a run with the environment's warnings only and no repetitions
// beyond its cells (exec, replay): the caller adds fields.describe.
SessionStart PlainStart(const std::string& out, const std::string& run_id,
                        const std::vector<Cell>& cells,
                        const std::string& command_line);

// Per-cell limits, the same for every cell of a run.
struct CellLimits {
  double timeout_s = 600;
  int sample_interval_us = kDefaultSampleIntervalUs;
  std::int64_t max_rss_bytes = 0;  // 0: no limit
};

class RunSession {
 public:
  // subcommand: the one that makes the run ("run", "exec", "replay",
  // "record"), written to run.json and named in the hint to resume; a
  // recording is never resumed (`run` would finish it without the recorder).
  // resume_dir: empty for a new run; else the run directory to complete,
  // whose run.json is read now (UsageError when it is missing or malformed,
  // its schema version is not this one's, or another subcommand made it).
  RunSession(std::string subcommand, const std::string& resume_dir);

  bool resumed() const { return resumed_; }
  // run.json as read (resumed) or as it is being written.
  const nlohmann::json& run_json() const { return run_; }
  nlohmann::json& run_json() { return run_; }
  const RunStore& store() const { return *store_; }

  // On --resume: replaces `options` with those the run was started with,
  // read from its run.json by from_json(run_json, resume_dir), keeping this
  // invocation's command line. Nothing for a new run.
  template <class Options, class FromJson>
  void RestoreOptions(Options& options, FromJson from_json) const {
    if (!resumed()) return;
    std::string command_line = options.command_line;
    options = from_json(run_, resume_dir_);
    options.command_line = command_line;
  }

  // Probes every allocator in allocmark-child (UsageError when one cannot
  // serve), then creates the run directory (a new run), or reads the rows a
  // resumed run has, and writes run.json with status "running". Returns false
  // when a stop signal came during the probes, before anything was written.
  bool Start(std::vector<AllocatorChoice>& allocators,
             const SessionStart& start);

  // Runs the cells not yet done, in order, with the extra passes asked for.
  // Cells beyond the ones planned so far count towards run.json's
  // cells_planned. Returns false when a stop was requested.
  bool RunCells(const std::vector<Cell>& cells, const CellLimits& limits,
                ExtraPasses passes, const std::string& rep_suffix);

  // The rows recorded so far (resumed ones first).
  const std::vector<nlohmann::json>& rows() const { return rows_; }

  // Writes run.json's end, prints the summary and returns the exit status:
  // kExitInterrupted (with the command that resumes), kExitCellsFailed or
  // kExitOk.
  int Finish();

 private:
  std::string subcommand_;
  std::string resume_dir_;  // as the user named it
  bool resumed_ = false;
  std::optional<RunStore> store_;
  nlohmann::json run_;
  std::vector<AllocatorChoice> allocators_;
  std::string child_;
  std::set<std::string> done_;
  std::vector<nlohmann::json> rows_;
  std::size_t cells_planned_ = 0;
};

// Throws UsageError unless the per-cell time-out is finite and above 0 s and
// the sampling interval at least 1 us.
void CheckCellLimits(double timeout_s, int sample_interval_us);

// The rows a resumed run already has in cells.jsonl, and their cell ids.
// Each row must be one of `cells` (the run's matrix, or its shard), or a
// repetition below `max_reps` of one of their configurations (those
// --until-stable adds; 0: none); any other row is refused with a UsageError
// that names the file, the line and the cell id.
void ReadFinishedCells(const RunStore& store, const std::vector<Cell>& cells,
                       int max_reps, std::set<std::string>& done,
                       std::vector<nlohmann::json>& rows);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_RUN_SESSION_H_
