// ghostscript: Debian's gs rendering the pages of a real PDF, the
// Ghostscript colour-management manual that ghostscript-doc installs
// (/usr/share/doc/ghostscript/GS9_Color_Management.pdf, 42 pages of text,
// vector figures and embedded images; ALLOCMARK_GHOSTSCRIPT_PDF names
// another), to the inkcov device, which rasterises each page in CMYK and
// prints its ink coverage.
//
// Models: a document renderer written in C with its own memory manager over
// malloc: the PDF interpreter's objects and streams, font and glyph caches,
// decompressed images, colour-conversion (ICC) tables and a page-sized
// raster per page — fewer, larger blocks than the interpreters, many freed
// at the end of each page and allocated again for the next.
// Does not model: banded multi-threaded rendering (the page fits in one
// buffer), output files (inkcov writes a line per page), PostScript input.
// Parameters: pages, the first pages of the document rendered per pass;
// passes, times the document is rendered in one run (each pass opens it
// again). Measures: gs's wall time, CPU time, faults, peak RSS and RSS over
// time (from outside it); ops are pages rendered.
// How long: smoke ~0.2 s, quick ~0.6 s, full ~10 s per cell.
// Checks itself: gs must exit 0 and print one coverage line ("... CMYK OK")
// per page rendered; the coverage summed over the pages is a counter, the
// same under every allocator.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/program_input.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

constexpr const char* kManualPdf =
    "/usr/share/doc/ghostscript/GS9_Color_Management.pdf";

std::string DocumentPath() {
  const char* path = std::getenv("ALLOCMARK_GHOSTSCRIPT_PDF");
  return path != nullptr && *path != '\0' ? path : kManualPdf;
}

class ProgramGhostscript {
 public:
  explicit ProgramGhostscript(const WorkloadConfig& config)
      : pages_(config.Get("pages")), passes_(config.Get("passes")) {
    hash_.Add(static_cast<std::uint64_t>(pages_));
    hash_.Add(static_cast<std::uint64_t>(passes_));
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    std::string gs;
    if (std::string error = FindProgram("gs", "ghostscript", gs);
        !error.empty()) {
      ctx.Fail(error);
      return;
    }
    const std::string document = DocumentPath();
    if (!std::ifstream(document)) {
      ctx.Fail(document +
               " is missing: install Debian's ghostscript-doc package "
               "(make deps)");
      return;
    }
    TempDir dir;
    ProgramSpec spec;
    spec.argv = {gs,
                 "-q",
                 "-dSAFER",
                 "-dBATCH",
                 "-dNOPAUSE",
                 "-sDEVICE=inkcov",
                 "-sOutputFile=-",
                 "-dFirstPage=1",
                 "-dLastPage=" + std::to_string(pages_)};
    for (std::int64_t pass = 0; pass < passes_; ++pass)
      spec.argv.push_back(document);
    spec.output_path = dir.File("output");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    // " 0.00109  0.00000  0.00109  0.02542 CMYK OK": C, M, Y, K coverage.
    std::ifstream in(spec.output_path);
    std::int64_t pages = 0;
    double coverage = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.find("CMYK OK") == std::string::npos) continue;
      std::istringstream fields(line);
      for (double c = 0; fields >> c;) coverage += c;
      ++pages;
    }
    if (pages != pages_ * passes_) {
      ctx.Fail("gs rendered " + std::to_string(pages) + " pages, not " +
               std::to_string(pages_ * passes_) + " (does " + document +
               " have " + std::to_string(pages_) +
               " pages?): " + TailOfFile(spec.output_path));
      return;
    }
    ctx.SetCounter("ink_coverage", coverage);
    ctx.AddOps(0, pages);
  }

 private:
  std::int64_t pages_;
  std::int64_t passes_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProgramGhostscript>({
    .name = "program_ghostscript",
    .summary = "real program: gs rendering the pages of a PDF manual and "
               "measuring their ink",
    .params =
        {
            {"pages", "first pages of the document rendered per pass", 3, 16,
             42, 1},
            {"passes", "times the document is rendered", 1, 1, 8, 1},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "pages",
    .cost_weight = 0.7,
});

}  // namespace
}  // namespace allocmark
