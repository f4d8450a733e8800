// clang: Debian's clang++ (LLVM 14) compiling a preprocessed C++17
// translation unit to an object file. The unit is workloads/data/
// clang_unit.cc (standard containers, strings, std::function and sort, over
// class templates instantiated `units` times), preprocessed once by
// clang++ -E before the timed region, so the measured compile reads one
// file and no headers.
//
// Models: a compiler's heap: the AST of ~1.5 MB of standard-library headers
// (most of it in clang's bump-pointer arenas, whose slabs come from malloc),
// identifier and type tables, template instantiation, then LLVM IR, the
// optimisation passes' analyses (created and freed per function) and machine
// code: millions of small nodes with a few large arenas, freed mostly at
// exit. clang runs the compilation in its driver's process (no cc1 child).
// Does not model: linking, parallel builds (one compiler per translation
// unit; a build runs many), precompiled headers or modules.
// Parameters: units, the template instantiations; opt_level, -O0..-O3.
// Measures: clang's wall time, CPU time, faults, peak RSS and RSS over time
// (from outside it); ops are translation units compiled (one per run).
// How long: smoke ~0.5 s, quick ~0.7 s, full ~10 s per cell.
// Checks itself: clang++ must exit 0 and write an ELF relocatable object
// file; its size is a counter (the same under every allocator).
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/program_input.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

// True when `path` starts like an ELF relocatable file (ET_REL).
bool IsElfObject(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char header[18] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof(header))) return false;
  return header[0] == 0x7f && header[1] == 'E' && header[2] == 'L' &&
         header[3] == 'F' && header[16] == 1 && header[17] == 0;
}

class ProgramClang {
 public:
  explicit ProgramClang(const WorkloadConfig& config)
      : units_(config.Get("units")), opt_level_(config.Get("opt_level")) {
    hash_.Add(static_cast<std::uint64_t>(units_));
    hash_.Add(static_cast<std::uint64_t>(opt_level_));
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  // Preprocesses the unit (untimed).
  void Prepare(RunContext& /*ctx*/) {
    error_ = FindProgram("clang++", "clang", clang_);
    if (!error_.empty()) return;
    dir_ = std::make_unique<TempDir>("allocmark-clang");
    ProgramSpec spec;
    spec.argv = {clang_,
                 "-std=c++17",
                 "-E",
                 "-DALLOCMARK_UNITS=" + std::to_string(units_),
                 WorkloadDataPath("clang_unit.cc"),
                 "-o",
                 dir_->File("unit.ii")};
    spec.output_path = dir_->File("preprocess.out");
    error_ = RunHelperProgram(spec, 120);
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    if (dir_ == nullptr || !error_.empty()) {
      ctx.Fail(error_.empty() ? "clang: the unit was not preprocessed"
                              : error_);
      return;
    }
    ProgramSpec spec;
    spec.argv = {clang_,
                 "-std=c++17",
                 "-O" + std::to_string(opt_level_),
                 "-c",
                 dir_->File("unit.ii"),
                 "-o",
                 dir_->File("unit.o")};
    spec.output_path = dir_->File("output");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    if (!IsElfObject(dir_->File("unit.o"))) {
      ctx.Fail("clang++ wrote no ELF object file: " +
               TailOfFile(spec.output_path));
      return;
    }
    ctx.SetCounter(
        "object_bytes",
        static_cast<double>(std::filesystem::file_size(dir_->File("unit.o"))));
    ctx.AddOps(0, 1);
  }

 private:
  std::int64_t units_;
  std::int64_t opt_level_;
  RequestHash hash_;
  std::string clang_;
  std::unique_ptr<TempDir> dir_;
  std::string error_;
};

const bool kRegistered = RegisterWorkload<ProgramClang>({
    .name = "program_clang",
    .summary = "real program: clang++ compiling a preprocessed C++17 unit "
               "to an object file",
    .params =
        {
            {"units", "instantiations of the unit's templates", 1, 1, 16, 1},
            {"opt_level", "optimisation level, -O0 to -O3", 0, 1, 2, 0},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "units",
    .cost_weight = 1.0,
    .check = [](const Params& p) -> std::string {
      if (p.at("opt_level") > 3) return "opt_level is above 3";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
