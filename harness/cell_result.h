// One cells.jsonl row as the driver holds it (results/README.md is the
// schema): the cell, its outcome, what served malloc and the figures of
// harness/figures.json. RunCell (cell_runner.h) fills it from the child's
// output, the --callgrind and --perf passes add theirs for rep 0, and
// CellRow is the one place it becomes a row.
#ifndef ALLOCMARK_HARNESS_CELL_RESULT_H_
#define ALLOCMARK_HARNESS_CELL_RESULT_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "harness/figures.h"
#include "harness/matrix.h"

namespace allocmark {

// What the measured process found serving malloc (from inside it), and the
// hash of the workload's request sequence.
struct AllocatorProof {
  std::string allocator;  // allocator_proven
  std::string library;    // allocator_library
  std::string version;    // allocator_version
  std::string request_checksum;
};

struct CellResult {
  explicit CellResult(Cell measured) : cell(std::move(measured)) {}

  bool ok() const { return status_ok; }
  // Marks the cell failed with `reason`; its figures are then never written.
  void Fail(std::string reason);

  Cell cell;  // what was measured (its verify mode is not written)

  bool status_ok = false;  // "ok" once the child's figures are in
  std::string error;       // why it failed
  double elapsed_s = 0;    // the child process, start-up included
  std::string log;         // relative to the run directory

  // Set once the child's JSON was read, whether the cell then failed or not
  // (a wrong allocator fails the cell and names what it found).
  std::optional<AllocatorProof> proof;
  // Written for an ok cell only: a failed cell reports no figure.
  FigureValues figures;
  std::map<std::string, double> allocator_stats;  // the allocator's names
  std::map<std::string, double> counters;         // the workload's names
  std::string timeseries;                         // relative to the run
  // How a real program's tree was measured: "cgroup" or "proc-tree"
  // (workloads/support/external_program.h); empty for a workload's own process.
  std::string memory_method;

  // The extra passes of rep 0: what served malloc under valgrind, or why a
  // pass measured nothing (the cell's other figures stand).
  std::string callgrind_allocator;
  std::string callgrind_error;
  std::string perf_error;
};

// The cells.jsonl row of `result`: the one writer of a row.
nlohmann::json CellRow(const CellResult& result);

// Figure `f` of a row read from cells.jsonl, when it is a number there.
std::optional<double> FigureOf(const nlohmann::json& row, Figure f);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CELL_RESULT_H_
