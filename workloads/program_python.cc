// python: the Debian interpreter (/usr/bin/python3) running a fixed,
// allocation-heavy script shipped in the repository
// (workloads/data/python_objects.py).
//
// Models: an interpreter's heap — many small objects with __dict__s, nested
// dicts and lists, strings built by formatting, joining and slicing, a JSON
// round trip of the whole graph per round — with a tenth of each round's
// objects kept alive into later rounds, so long- and short-lived objects mix.
// By default CPython's own small-object allocator (pymalloc) serves objects of
// up to 512 bytes from 256 KiB arenas, and the process allocator sees the
// larger blocks (dict tables, list arrays, long strings) and the arenas: that
// is Python as users run it. pymalloc=0 sets PYTHONMALLOC=malloc, and every
// object goes to the process allocator.
// Does not model: threads (the GIL serialises them), C extensions.
// Measures: the interpreter's wall time, its CPU time, faults, peak RSS and
// RSS over time (from outside it); ops are rounds of the script.
// How long: smoke ~0.1 s, quick ~1 s, full ~20 s per cell on a 2020s core.
// Checks itself: the script checks the JSON round trip and the index of each
// round and prints a checksum; a non-zero exit or a missing checksum fails
// the cell.
#include <string>

#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class ProgramPython {
 public:
  explicit ProgramPython(const WorkloadConfig& config)
      : rounds_(config.Get("rounds")),
        objects_(config.Get("objects")),
        pymalloc_(config.Get("pymalloc") != 0),
        seed_(config.seed) {
    for (std::int64_t v :
         {rounds_, objects_, static_cast<std::int64_t>(pymalloc_)})
      hash_.Add(static_cast<std::uint64_t>(v));
    hash_.Add(seed_);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    TempDir dir;
    ProgramSpec spec;
    spec.argv = {"/usr/bin/python3", WorkloadDataPath("python_objects.py"),
                 std::to_string(rounds_), std::to_string(objects_),
                 std::to_string(seed_)};
    spec.output_path = dir.File("output");
    // No .pyc writes, no user site: the same work in every cell.
    spec.env = {{"PYTHONDONTWRITEBYTECODE", "1"},
                {"PYTHONNOUSERSITE", "1"},
                {"PYTHONHASHSEED", "0"}};
    if (!pymalloc_) spec.env.emplace_back("PYTHONMALLOC", "malloc");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    if (!OutputValue(spec.output_path, "allocmark-checksum")) {
      ctx.Fail("python3 printed no checksum: " + TailOfFile(spec.output_path));
      return;
    }
    ctx.AddOps(0, rounds_);
  }

 private:
  std::int64_t rounds_;
  std::int64_t objects_;
  bool pymalloc_;
  std::uint64_t seed_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProgramPython>({
    .name = "program_python",
    .summary = "real program: python3 building object graphs, dicts, strings, "
               "JSON round trips",
    .params =
        {
            {"rounds", "rounds of build, serialise, parse, drop", 2, 4, 20, 1},
            {"objects", "records per round", 1000, 5000, 20000, 1},
            {"pymalloc",
             "1: CPython's small-object allocator; 0: PYTHONMALLOC=malloc", 1,
             1, 1, 0},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "rounds",
    .cost_weight = 1.0,
});

}  // namespace
}  // namespace allocmark
