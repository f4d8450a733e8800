// The matrix of a run: workloads x threads x heaps x allocators x
// repetitions, expanded into the ordered list of cells the driver runs.
// Repetitions are interleaved across allocators in alternating order
// (A B C D, then D C B A, ...) so that drift of the machine over the run
// does not favour the allocator that happens to run first.
#ifndef ALLOCMARK_HARNESS_MATRIX_H_
#define ALLOCMARK_HARNESS_MATRIX_H_

#include <string>
#include <vector>

#include "workloads/support/workload.h"

namespace allocmark {

struct MatrixOptions {
  std::string workloads_regex = ".*";  // matched with regex_search on names
  std::vector<std::string> heaps;      // empty: every heap each workload suits
  // Empty: each workload's defaults (DefaultThreadCounts) on `cores` cores.
  std::vector<int> threads;
  int cores = 0;                        // 0: the CPUs this process may run on
  std::vector<std::string> allocators;  // already resolved, in order
  int reps = 1;
  Profile profile = Profile::kQuick;
  // "NAME=VALUE" (every workload that declares NAME) or "WORKLOAD.NAME=VALUE".
  std::vector<std::string> param_overrides;
  std::uint64_t seed = 1;
  BlockVerify verify = BlockVerify::kCanary;  // how workloads check blocks
  // False: heaps other than malloc (arena, slab, pmr-*) run under the first
  // allocator only. They take memory from the process allocator only for
  // their rare chunks, so the other allocators would repeat the same
  // measurement; the quick profile spends that time on repetitions.
  bool every_allocator_for_every_heap = true;
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
  BlockVerify verify = BlockVerify::kCanary;
  // `allocmark exec`: the command the cell measures instead of a workload.
  std::vector<std::string> command;
};

// Throws UsageError for an unknown workload, heap or parameter, a bad value,
// or a matrix with no cell.
std::vector<Cell> ExpandMatrix(const MatrixOptions& options);

Profile ParseProfile(const std::string& name);  // throws UsageError

// The thread counts a workload runs at when --threads is not given: 1 for a
// single-threaded workload; otherwise 1 and `cores` at the quick profile, 1,
// 2, 4, ... and `cores` at the full one, and 1 at smoke. A workload whose
// effect needs two threads (WorkloadInfo::needs_threads: false sharing) is
// never only at 1: it adds 2 where `cores` is below 2, and at the quick
// profile it runs without 1. Counts above max_threads are dropped.
std::vector<int> DefaultThreadCounts(const WorkloadInfo& w, Profile profile,
                                     int cores);

// The CPUs this process may run on (its affinity mask), at least 1.
int UsableCores();

}  // namespace allocmark

#endif  // ALLOCMARK_HARNESS_MATRIX_H_
