// Writes the run the golden round-trip test reads with
// scripts/allocmark_results.py (test_cell_row_round_trip.py):
// <results_root>/golden/ with a run.json and two rows written by the
// harness's own writer (CellRow, RunStore::AppendCell). The ok row has every
// figure of harness/figures.json, figure i (in the table's order) set to
// 1 / (i + 3), a value with no short decimal form, so that a digit lost on
// the way shows; the failed row has the same figures set and must show none.
//
//   write_cell_row RESULTS_ROOT
#include <cstdio>
#include <nlohmann/json.hpp>

#include "harness/cell_result.h"
#include "harness/result_store.h"

namespace allocmark {
namespace {

CellResult MeasuredResult(const std::string& id) {
  Cell cell;
  cell.id = id;
  cell.workload = "churn";
  cell.params = {{"live_blocks", 4096}};
  cell.threads = 2;
  cell.heap = "malloc";
  cell.allocator = "jemalloc";
  cell.rep = 1;
  cell.seed = 42;
  CellResult result(cell);
  result.status_ok = true;
  result.elapsed_s = 0.5;
  result.log = "logs/" + id + ".log";
  result.proof = AllocatorProof{"jemalloc", "/usr/lib/libjemalloc.so.2",
                                "5.3.0", "00000000deadbeef"};
  for (Figure f : Figure::All())
    result.figures.Set(f, 1.0 / static_cast<double>(f.index() + 3));
  result.allocator_stats = {{"jemalloc.allocated_bytes", 4096}};
  result.counters = {{"frames", 60}};
  result.timeseries = "timeseries/" + id + ".csv";
  result.callgrind_allocator = "jemalloc";
  return result;
}

}  // namespace
}  // namespace allocmark

int main(int argc, char** argv) {
  using namespace allocmark;
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_cell_row RESULTS_ROOT\n");
    return 2;
  }
  RunStore store = RunStore::Create(argv[1], "golden");
  store.WriteRunJson({{"schema_version", kSchemaVersion},
                      {"run_id", "golden"},
                      {"status", "complete"}});
  store.AppendCell(CellRow(MeasuredResult("churn-t2-malloc-jemalloc-r1")));
  CellResult failed = MeasuredResult("churn-t2-malloc-jemalloc-r2");
  failed.Fail("the workload reported no operations or no time");
  store.AppendCell(CellRow(failed));
  return 0;
}
