// sqlite: the sqlite3 shell (Debian's sqlite3) running a fixed SQL script
// shipped in the repository (workloads/data/sqlite_workload.sql) on a fresh
// temporary database.
//
// Models: an embedded database's heap — the page cache (64 MiB allowed, so
// the database lives in malloc'ed pages), prepared statements, sorters and
// the temporary tables of joins and GROUP BYs, text values of varied lengths
// that are updated, deleted (40%) and re-inserted with other sizes.
// Does not model: durable I/O (journal and fsync are off, so the disk does
// not drown the allocator), concurrent connections.
// Parameters: rows, the number of orders (customers are a tenth of it,
// products 2000). Measures: the shell's wall time, CPU time, faults, peak RSS
// and RSS over time (from outside it); ops are rows inserted.
// How long: smoke ~0.1 s, quick ~1 s, full ~20 s per cell.
// Checks itself: the script ends by printing a checksum of the final
// contents; the shell runs with -bail, so any SQL error exits non-zero and
// fails the cell, as does a missing checksum.
#include <fstream>
#include <string>

#include "base/executable.h"
#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class ProgramSqlite {
 public:
  explicit ProgramSqlite(const WorkloadConfig& config)
      : rows_(config.Get("rows")) {
    hash_.Add(static_cast<std::uint64_t>(rows_));
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    const std::string shell = FindExecutable("sqlite3");
    if (shell.empty()) {
      ctx.Fail("sqlite3 is not installed: apt-get install sqlite3");
      return;
    }
    TempDir dir;
    ProgramSpec spec;
    spec.stdin_path = dir.File("prelude.sql");
    std::ofstream(spec.stdin_path)
        << "CREATE TABLE config (rows INTEGER);\n"
        << "INSERT INTO config VALUES (" << rows_ << ");\n"
        << ".read " << WorkloadDataPath("sqlite_workload.sql") << "\n";
    spec.argv = {shell, "-batch", "-bail", dir.File("workload.db")};
    spec.output_path = dir.File("output");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    if (!OutputValue(spec.output_path, "allocmark-checksum")) {
      ctx.Fail("sqlite3 printed no checksum: " + TailOfFile(spec.output_path));
      return;
    }
    // Orders, customers and products first inserted, then the re-inserts.
    ctx.AddOps(0, rows_ + rows_ / 10 + 2000 + rows_ * 4 / 10);
  }

 private:
  std::int64_t rows_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProgramSqlite>({
    .name = "program_sqlite",
    .summary = "real program: the sqlite3 shell running inserts, indexes, "
               "joins and deletes",
    .params = {{"rows", "orders inserted (customers: a tenth)", 5000, 100000,
                2000000, 100}},
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "rows",
    .cost_weight = 1.0,
});

}  // namespace
}  // namespace allocmark
