// z3: Microsoft's SMT solver (Debian's z3) on an SMT-LIB 2 problem allocmark
// generates from the seed before the timed region: rounds of bit-vector
// systems with a planted solution, each asserted inside push/pop, and a
// pigeonhole problem at the end.
//
// Models: a C++ solver's heap: hash-consed terms (every sub-term a node in
// z3's tables), rewriting and bit-blasting each equation into thousands of
// Boolean gates, the SAT solver's clauses, watch lists and learned clauses,
// then pop, which frees the round's terms and clauses at once before the
// next round builds its own. z3 takes most small blocks from its own
// size-class free lists over malloc and sends vectors, tables and large
// blocks to malloc directly. The pigeonhole problem (n+1 pigeons, n holes)
// has no solution and no short proof, so the SAT solver learns and deletes
// clauses until it has refuted it.
// Does not model: quantifiers, the arithmetic theories, incremental use over
// an API.
// The problem: each round declares `variables` bit-vectors of `width_bits`
// bits, picks a random value for each, and asserts `equations` equations
// a*x + b*y + c*z = d with random odd coefficients and d computed from the
// picked values, so every round is satisfiable.
// Parameters: rounds, variables, equations, width_bits, holes. Measures:
// z3's wall time, CPU time, faults, peak RSS and RSS over time (from outside
// it); ops are check-sat queries answered.
// How long: smoke ~0.1 s, quick ~0.5 s, full ~15 s per cell.
// Checks itself: z3 must exit 0 and answer "sat" for every round and
// "unsat" for the pigeonhole problem, in order: a wrong answer fails the
// cell.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/program_input.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

struct Z3Problem {
  std::string text;                   // SMT-LIB 2
  std::vector<std::string> expected;  // z3's answers, in order
};

Z3Problem GenerateProblem(const Params& p, std::uint64_t seed) {
  const std::int64_t variables = p.at("variables");
  const std::int64_t width = p.at("width_bits");
  const std::uint64_t mask =
      width >= 64 ? ~0ULL : (1ULL << static_cast<unsigned>(width)) - 1;
  const std::string sort = "(_ BitVec " + std::to_string(width) + ")";
  auto literal = [&](std::uint64_t v) {
    return "(_ bv" + std::to_string(v & mask) + " " + std::to_string(width) +
           ")";
  };
  Rng rng(seed);
  Z3Problem problem;
  std::string& out = problem.text;
  out = "(set-logic ALL)\n";
  for (std::int64_t round = 0; round < p.at("rounds"); ++round) {
    out += "(push 1)\n";
    std::vector<std::uint64_t> value(static_cast<std::size_t>(variables));
    for (std::int64_t i = 0; i < variables; ++i) {
      value[static_cast<std::size_t>(i)] = rng.Next() & mask;
      out += "(declare-const x" + std::to_string(i) + " " + sort + ")\n";
    }
    for (std::int64_t e = 0; e < p.at("equations"); ++e) {
      std::uint64_t sum = 0;
      std::string terms;
      for (int t = 0; t < 3; ++t) {
        const auto x = rng.Below(static_cast<std::uint64_t>(variables));
        const std::uint64_t a = (rng.Next() | 1) & mask;
        sum += a * value[x];
        terms += " (bvmul " + literal(a) + " x" + std::to_string(x) + ")";
      }
      out += "(assert (= (bvadd" + terms + ") " + literal(sum) + "))\n";
    }
    out += "(check-sat)\n(pop 1)\n";
    problem.expected.push_back("sat");
  }
  const std::int64_t holes = p.at("holes");
  if (holes > 0) {
    // Appended, not "p" + std::to_string(...): GCC 12's -Wrestrict misfires.
    auto var = [](std::int64_t pigeon, std::int64_t hole) {
      std::string name = "p";
      name += std::to_string(pigeon);
      name += '_';
      name += std::to_string(hole);
      return name;
    };
    out += "(push 1)\n";
    for (std::int64_t i = 0; i <= holes; ++i)
      for (std::int64_t h = 0; h < holes; ++h)
        out += "(declare-const " + var(i, h) + " Bool)\n";
    for (std::int64_t i = 0; i <= holes; ++i) {
      out += "(assert (or";
      for (std::int64_t h = 0; h < holes; ++h) out += " " + var(i, h);
      out += "))\n";
    }
    for (std::int64_t h = 0; h < holes; ++h)
      for (std::int64_t i = 0; i <= holes; ++i)
        for (std::int64_t j = i + 1; j <= holes; ++j)
          out +=
              "(assert (or (not " + var(i, h) + ") (not " + var(j, h) + ")))\n";
    out += "(check-sat)\n(pop 1)\n";
    problem.expected.push_back("unsat");
  }
  return problem;
}

class ProgramZ3 {
 public:
  explicit ProgramZ3(const WorkloadConfig& config)
      : problem_(GenerateProblem(config.params, config.seed)) {
    for (unsigned char c : problem_.text) hash_.Add(c);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  // Writes the problem file (untimed).
  void Prepare(RunContext& /*ctx*/) {
    dir_ = std::make_unique<TempDir>("allocmark-z3");
    error_ = WriteTextFile(dir_->File("problem.smt2"), problem_.text);
  }

  template <Heap H>
  void Run(RunContext& ctx) {
    std::string z3;
    if (std::string error = FindProgram("z3", "z3", z3); !error.empty()) {
      ctx.Fail(error);
      return;
    }
    if (dir_ == nullptr || !error_.empty()) {
      ctx.Fail(error_.empty() ? "z3: the problem was not written" : error_);
      return;
    }
    ProgramSpec spec;
    spec.argv = {z3, "-smt2", dir_->File("problem.smt2")};
    spec.output_path = dir_->File("output");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    std::ifstream in(spec.output_path);
    std::vector<std::string> answers;
    for (std::string line; std::getline(in, line);) answers.push_back(line);
    if (answers != problem_.expected) {
      ctx.Fail("z3 answered " + std::to_string(answers.size()) +
               " lines, not " + std::to_string(problem_.expected.size()) +
               " sat/unsat as the problem's construction says: " +
               TailOfFile(spec.output_path));
      return;
    }
    ctx.AddOps(0, static_cast<std::int64_t>(answers.size()));
  }

 private:
  Z3Problem problem_;
  RequestHash hash_;
  std::unique_ptr<TempDir> dir_;
  std::string error_;
};

const bool kRegistered = RegisterWorkload<ProgramZ3>({
    .name = "program_z3",
    .summary = "real program: z3 solving generated bit-vector rounds and a "
               "pigeonhole problem",
    .params =
        {
            {"rounds",
             "satisfiable bit-vector systems, each pushed and "
             "popped",
             2, 6, 60, 0},
            {"variables", "bit-vector variables per round", 16, 16, 16, 3},
            {"equations", "equations per round (3 terms each)", 12, 12, 12, 1},
            {"width_bits", "bits of every variable", 16, 20, 20, 1},
            {"holes", "pigeonhole problem: holes (pigeons: one more; 0: none)",
             5, 7, 8, 0},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "queries",
    .cost_weight = 1.0,
    .check = [](const Params& p) -> std::string {
      if (p.at("width_bits") > 64) return "width_bits is above 64";
      if (p.at("holes") > 10)
        return "holes is above 10 (the refutation grows exponentially)";
      if (p.at("rounds") + p.at("holes") == 0)
        return "no query: set rounds or holes";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
