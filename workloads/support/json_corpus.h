// The json workload's documents: real ones read from disk, and generated ones.
//
// Real corpora:
//   iso-codes: the JSON files of Debian's iso-codes package (country,
//     language, currency and script codes; 8 files, ~1.4 MB), from
//     $ALLOCMARK_ISO_CODES_DIR or /usr/share/iso-codes/json.
//   mdn: @mdn/browser-compat-data's data.json (~12 MB of deeply nested
//     objects with many short strings, one document), from Debian's
//     node-mdn-browser-compat-data package, or the file
//     $ALLOCMARK_MDN_BCD_JSON names.
// The generator writes API-response-like records (objects of ids, names,
// tags, scores, nested addresses and event histories, with escapes and
// \u sequences in some strings) from an Rng, so a seed gives the same text on
// every machine.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_JSON_CORPUS_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_JSON_CORPUS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "workloads/support/clock.h"
#include "workloads/support/rng.h"
#include "workloads/support/run_context.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/workload.h"

namespace allocmark {

struct JsonDocument {
  std::string name;  // the file, or "generated-<i>"
  std::string text;
};

// The corpora's files, where the environment or the Debian packages put
// them (whether they exist is not checked): what a program reads directly.
std::vector<std::string> IsoCodesCorpusPaths();
std::string MdnCorpusPath();

// Appends the corpus's documents to `out`. Returns "" on success, or one line
// saying which file is missing or unreadable and how to get it.
std::string LoadIsoCodesCorpus(std::vector<JsonDocument>& out);
std::string LoadMdnCorpus(std::vector<JsonDocument>& out);

// A document of about target_bytes (at least one record), from `rng`.
std::string GenerateJsonDocument(Rng& rng, std::size_t target_bytes);

// What every json workload parses, in order: the generated documents, then
// the iso-codes files `iso_codes_passes` times, then the MDN document
// `mdn_passes` times (the parameters of JsonCorpusParams()).
struct JsonCorpus {
  std::vector<JsonDocument> documents;
  std::vector<std::size_t> schedule;  // indices into documents
  std::string error;  // a missing or unreadable file; the cells fail with it

  // The bytes one pass over the schedule parses.
  double ScheduledBytes() const;
  // Adds every document's bytes and the schedule to `hash`.
  void AddTo(RequestHash& hash) const;
};
JsonCorpus LoadJsonCorpus(const WorkloadConfig& config);

// Runs per_thread(t) on `threads` threads over the corpus's schedule and
// sets the counters of every json workload: bytes_parsed (the schedule's
// bytes times the threads) and parsed_bytes_per_s (over the run's wall time).
// A corpus that failed to load fails the cell instead.
template <class F>
void RunJsonThreads(RunContext& ctx, const JsonCorpus& corpus, int threads,
                    F&& per_thread) {
  if (!corpus.error.empty()) return ctx.Fail(corpus.error);
  const std::int64_t start = NowNs();
  RunThreads(threads, per_thread);
  const double wall_s = static_cast<double>(NowNs() - start) * 1e-9;
  if (ctx.failed()) return;
  const double bytes = corpus.ScheduledBytes() * threads;
  ctx.SetCounter("bytes_parsed", bytes);
  ctx.SetCounter("parsed_bytes_per_s", bytes / wall_s);
}

// The reference parse of every document, before the timed region:
// parse(doc, error) returns the document's walk hash, or sets `error`. The
// first failure becomes corpus.error ("NAME is not valid JSON: ERROR") and
// ends the parse; the corpus's bytes and schedule go to `hash`.
template <class Parse>
std::vector<std::uint64_t> ReferenceWalkHashes(JsonCorpus& corpus,
                                               RequestHash& hash,
                                               Parse&& parse) {
  std::vector<std::uint64_t> hashes;
  if (!corpus.error.empty()) return hashes;
  for (const auto& doc : corpus.documents) {
    std::string error;
    std::uint64_t walk = parse(doc, error);
    if (!error.empty()) {
      corpus.error = doc.name + " is not valid JSON: " + error;
      return hashes;
    }
    hashes.push_back(walk);
  }
  corpus.AddTo(hash);
  return hashes;
}

// The parameters LoadJsonCorpus reads, and their check (WorkloadInfo::check).
std::vector<ParamSpec> JsonCorpusParams();
std::string CheckJsonCorpusParams(const Params& p);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_JSON_CORPUS_H_
