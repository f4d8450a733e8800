// jq: Debian's jq (1.6) reading real JSON documents from disk — the MDN
// browser-compat data (one 12 MB document, from Debian's
// node-mdn-browser-compat-data) and the iso-codes files — through a filter
// shipped in the repository (workloads/data/jq_digest.jq) that walks every
// value and serialises each document again.
//
// Models: a command-line JSON processor written in C: every parsed object,
// array and string is a malloc'ed, reference-counted value (objects are hash
// tables grown by realloc), the walk allocates and frees a generator frame
// and path per value, and tojson grows one string to the document's size.
// Each document is dropped before the next is read, so the heap fills and
// empties once per document. The same documents as the json workloads
// (json_corpus.h; ALLOCMARK_MDN_BCD_JSON and ALLOCMARK_ISO_CODES_DIR name
// other files).
// Does not model: jq's larger programs (sorting, grouping: jq 1.6 spends
// them in its interpreter, not the allocator), streaming mode.
// Parameters: iso_codes_passes and mdn_passes, the times each corpus is
// given to jq. Measures: jq's wall time, CPU time, faults, peak RSS and RSS
// over time (from outside it); ops are documents processed.
// How long: smoke ~0.2 s, quick ~1 s, full ~10 s per cell.
// Checks itself: jq must exit 0 and report as many documents as it was
// given; its checksum (values walked, bytes serialised: counters) is the
// same under every allocator.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/json_corpus.h"
#include "workloads/support/program_input.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class ProgramJq {
 public:
  explicit ProgramJq(const WorkloadConfig& config)
      : iso_codes_passes_(config.Get("iso_codes_passes")),
        mdn_passes_(config.Get("mdn_passes")) {
    hash_.Add(static_cast<std::uint64_t>(iso_codes_passes_));
    hash_.Add(static_cast<std::uint64_t>(mdn_passes_));
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    std::string jq;
    if (std::string error = FindProgram("jq", "jq", jq); !error.empty()) {
      ctx.Fail(error);
      return;
    }
    std::vector<std::string> documents;
    for (std::int64_t pass = 0; pass < iso_codes_passes_; ++pass)
      for (const std::string& path : IsoCodesCorpusPaths())
        documents.push_back(path);
    for (std::int64_t pass = 0; pass < mdn_passes_; ++pass)
      documents.push_back(MdnCorpusPath());
    for (const std::string& path : documents)
      if (!std::ifstream(path)) {
        ctx.Fail("json corpus file " + path +
                 " is missing (install Debian's iso-codes and "
                 "node-mdn-browser-compat-data packages: make deps)");
        return;
      }
    TempDir dir;
    ProgramSpec spec;
    spec.argv = {jq, "-n", "-r", "-f", WorkloadDataPath("jq_digest.jq")};
    spec.argv.insert(spec.argv.end(), documents.begin(), documents.end());
    spec.output_path = dir.File("output");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    const auto count = OutputValue(spec.output_path, "allocmark-documents");
    const auto checksum = OutputValue(spec.output_path, "allocmark-checksum");
    double values = 0, bytes = 0;
    if (!count || *count != std::to_string(documents.size()) || !checksum ||
        std::sscanf(checksum->c_str(), "%lf %lf", &values, &bytes) != 2) {
      ctx.Fail("jq did not report " + std::to_string(documents.size()) +
               " documents and a checksum: " + TailOfFile(spec.output_path));
      return;
    }
    ctx.SetCounter("values_walked", values);
    ctx.SetCounter("bytes_serialised", bytes);
    ctx.AddOps(0, static_cast<std::int64_t>(documents.size()));
  }

 private:
  std::int64_t iso_codes_passes_;
  std::int64_t mdn_passes_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProgramJq>({
    .name = "program_jq",
    .summary = "real program: jq walking and re-serialising the MDN and "
               "iso-codes JSON documents",
    .params =
        {
            {"iso_codes_passes", "times the 8 iso-codes files are given to jq",
             1, 0, 10, 0},
            {"mdn_passes", "times the 12 MB MDN document is given to jq", 0, 1,
             4, 0},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "documents",
    .cost_weight = 1.0,
    .check = [](const Params& p) -> std::string {
      if (p.at("iso_codes_passes") + p.at("mdn_passes") == 0)
        return "no documents: set iso_codes_passes or mdn_passes";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
