// Runs one cell of the matrix in its own child process and turns what the
// child wrote (Google Benchmark JSON, the RSS CSV) into its CellResult, the
// one place the driver fills a result. A cell that crashed, timed out, met
// the wrong allocator or failed its own checks is failed with the reason,
// and its row carries no figures.
#ifndef ALLOCMARK_HARNESS_CELL_RUNNER_H_
#define ALLOCMARK_HARNESS_CELL_RUNNER_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/allocator_choice.h"
#include "harness/cell_result.h"
#include "harness/matrix.h"
#include "harness/result_store.h"

namespace allocmark {

// The sampler's default interval: 2 ms gives every quick cell of 0.1 s or
// more 50 or more points of RSS over time (the fastest allocators finish
// some quick cells in a tenth of a second), at a cost measured in
// docs/methodology.md (about 1% of one core, the same share of every cell).
inline constexpr int kDefaultSampleIntervalUs = 2000;

struct CellRunOptions {
  std::string child_path;  // allocmark-child
  double timeout_s = 600;  // per cell
  int sample_interval_us = kDefaultSampleIntervalUs;
  std::int64_t max_rss_bytes = 0;  // 0: no limit
};

CellResult RunCell(const Cell& cell, const AllocatorChoice& allocator,
                   const CellRunOptions& options, const RunStore& store);

// The arguments of `allocmark-child run|exec` that say what the cell is (its
// workload, heap, threads, seed and parameters; none for an exec cell but
// its parameters) and which allocator the child must prove it met. The
// caller adds where the output goes.
std::vector<std::string> ChildCellArgs(const Cell& cell,
                                       const AllocatorChoice& allocator);

// Takes from the child's Google Benchmark JSON what served malloc (checked
// against `allocator`) and every figure of harness/figures.json it reported,
// with Google Benchmark's real time as wall_s; marks `result` ok, or failed
// with the reason. Exposed for tests.
void FoldChildJson(const nlohmann::json& child,
                   const AllocatorChoice& allocator, CellResult& result);

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_CELL_RUNNER_H_
