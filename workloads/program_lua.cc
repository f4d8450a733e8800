// lua: the Lua 5.4 interpreter (Debian's lua5.4) running a fixed script
// shipped in the repository (workloads/data/lua_tables.lua).
//
// Models: a garbage-collected runtime that allocates through realloc — the
// pattern neither python (pymalloc keeps small objects) nor sqlite (a page
// cache) shows: every string, table, closure and upvalue is a malloc'ed
// block, tables grow in place by realloc as their array and hash parts
// double, and the collector frees in bursts, leaving the allocator to reuse
// memory freed out of allocation order. An eighth of each round's records
// survives several rounds in a ring, so live data of mixed ages coexists.
// Does not model: LuaJIT (its own allocator), coroutines, C modules.
// Parameters: rounds, items per round. Measures: the interpreter's wall
// time, CPU time, faults, peak RSS and RSS over time (from outside it); ops
// are records built.
// How long: smoke ~0.05 s, quick ~1 s, full ~20 s per cell.
// Checks itself: the script verifies its index each round and prints a
// checksum; a Lua error (non-zero exit) or a missing checksum fails the cell.
#include <string>

#include "base/executable.h"
#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class ProgramLua {
 public:
  explicit ProgramLua(const WorkloadConfig& config)
      : rounds_(config.Get("rounds")),
        items_(config.Get("items")),
        seed_(config.seed) {
    hash_.Add(static_cast<std::uint64_t>(rounds_));
    hash_.Add(static_cast<std::uint64_t>(items_));
    hash_.Add(seed_);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    const std::string lua = FindExecutable("lua5.4");
    if (lua.empty()) {
      ctx.Fail("lua5.4 is not installed: apt-get install lua5.4");
      return;
    }
    TempDir dir;
    ProgramSpec spec;
    spec.argv = {lua, WorkloadDataPath("lua_tables.lua"),
                 std::to_string(rounds_), std::to_string(items_),
                 std::to_string(seed_)};
    spec.output_path = dir.File("output");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    if (!OutputValue(spec.output_path, "allocmark-checksum")) {
      ctx.Fail("lua5.4 printed no checksum: " + TailOfFile(spec.output_path));
      return;
    }
    ctx.AddOps(0, rounds_ * items_);
  }

 private:
  std::int64_t rounds_;
  std::int64_t items_;
  std::uint64_t seed_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProgramLua>({
    .name = "program_lua",
    .summary = "real program: lua5.4 building, sorting and dropping tables, "
               "strings, closures",
    .params =
        {
            {"rounds", "rounds of build, sort, index, report, drop", 2, 4, 20,
             1},
            {"items", "records per round", 1000, 10000, 40000, 1},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "records",
    .cost_weight = 1.0,
});

}  // namespace
}  // namespace allocmark
