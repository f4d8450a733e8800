// The matrix of a run: workloads x threads x heaps x allocators x
// repetitions, expanded into the ordered list of cells the driver runs.
// Repetitions are interleaved across allocators in alternating order
// (A B C D, then D C B A, ...) so that drift of the machine over the run
// does not favour the allocator that happens to run first.
#ifndef ALLOCMARK_HARNESS_MATRIX_H_
#define ALLOCMARK_HARNESS_MATRIX_H_

#include <string>
#include <vector>

#include "workloads/workload.h"

namespace allocmark {

struct MatrixOptions {
  std::string workloads_regex = ".*";  // matched with regex_search on names
  std::vector<std::string> heaps;      // empty: every heap each workload suits
  std::vector<int> threads = {1};
  std::vector<std::string> allocators;  // already resolved, in order
  int reps = 1;
  Profile profile = Profile::kQuick;
  // "NAME=VALUE" (every workload that declares NAME) or "WORKLOAD.NAME=VALUE".
  std::vector<std::string> param_overrides;
  std::uint64_t seed = 1;
};

struct Cell {
  std::string id;  // unique in the run, safe as a file name
  std::string workload;
  Params params;
  int threads = 1;
  std::string heap;
  std::string allocator;
  int rep = 0;
  std::uint64_t seed = 1;
  // `allocmark exec`: the command the cell measures instead of a workload.
  std::vector<std::string> command;
};

// Throws UsageError for an unknown workload, heap or parameter, a bad value,
// or a matrix with no cell.
std::vector<Cell> ExpandMatrix(const MatrixOptions& options);

Profile ParseProfile(const std::string& name);  // throws UsageError

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_MATRIX_H_
