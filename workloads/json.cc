// json: parse real JSON documents into a DOM, walk it, destroy it.
//
// Models: a service or tool that reads JSON (configuration, API responses,
// data files): many small nodes and strings allocated in document order,
// arrays and objects that grow, then the whole tree dropped at once. On
// heap=malloc every block is freed by walking the tree; on arena and
// pmr-monotonic the tree is dropped by resetting the heap after each
// document (one arena per document); on pmr-pool each block goes back to the
// pool. The DOM is allocmark's own (json_dom.h says why not nlohmann::json):
// every allocation of parsing is a Heap call and nothing else allocates.
// Documents (json_corpus.h): Debian's iso-codes JSON files (8 documents,
// ~1.4 MB), @mdn/browser-compat-data's data.json (one ~12 MB document,
// Debian's node-mdn-browser-compat-data), and generated API-response-like
// documents.
// Does not model: serialisation, queries that allocate, or documents kept
// alive across requests. Threads: each of T threads parses the whole
// schedule on its own heap (a JSON-serving process with T workers).
// Parameters: see kParams. ops counts documents; counters: bytes_parsed,
// parsed_bytes_per_s (document bytes over the run's wall time),
// dom_allocations.
// Latency: each document's parse + walk + destroy, on the steady clock
// (documents differ in size by 10^4: read the percentiles per corpus mix).
// Checks itself: every document is parsed once before the timed region (on
// memory from mmap, which the process allocator never sees: untimed_heap.h),
// and its walk hash recorded; the timed walk must give the same hash
// (the walk reads every value and string byte and checks that unused array
// slots are still zero), else the cell fails. A missing or malformed corpus
// file fails the cell with the file's name and the reason.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "workloads/support/clock.h"
#include "workloads/support/heap_traits.h"
#include "workloads/support/json_corpus.h"
#include "workloads/support/json_dom.h"
#include "workloads/support/rng.h"
#include "workloads/support/thread_group.h"
#include "workloads/support/untimed_heap.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

class Json {
 public:
  explicit Json(const WorkloadConfig& config)
      : threads_(config.threads),
        corpus_(LoadJsonCorpus(config)),
        allocations_(static_cast<std::size_t>(config.threads)) {
    // The reference parse, on memory the process allocator never sees
    // (untimed_heap.h).
    std::string scratch;
    expected_hash_ = ReferenceWalkHashes(
        corpus_, hash_, [&](const JsonDocument& doc, std::string& error) {
          UntimedHeap heap;
          JsonHeapUse use;
          JsonValue* root = JsonParser<UntimedHeap>(heap, use, scratch)
                                .Parse(doc.text, error);
          return root == nullptr ? 0 : JsonWalkHash(root);
        });
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    RunJsonThreads(ctx, corpus_, threads_,
                   [&](int t) { RunThread<H>(ctx, t); });
    if (ctx.failed()) return;
    double allocations = 0;
    for (std::int64_t a : allocations_) allocations += static_cast<double>(a);
    ctx.SetCounter("dom_allocations", allocations);
  }

 private:
  template <Heap H>
  void RunThread(RunContext& ctx, int t) {
    H heap;
    JsonHeapUse use{&ctx, t};
    std::string scratch;
    scratch.reserve(1 << 16);
    auto& latencies = ctx.Latencies(t);
    latencies.reserve(corpus_.schedule.size());
    for (std::size_t index : corpus_.schedule) {
      if (ctx.failed()) return;
      const JsonDocument& doc = corpus_.documents[index];
      const std::int64_t start = NowNs();
      std::string error;
      JsonValue* root =
          JsonParser<H>(heap, use, scratch).Parse(doc.text, error);
      if (root == nullptr) return ctx.Fail(doc.name + ": " + error);
      if (JsonWalkHash(root) != expected_hash_[index])
        return ctx.Fail(doc.name +
                        ": the DOM was changed while live (walk hash differs)");
      if constexpr (kReleasesInBulk<H>) {
        use.AddLive(-use.live_bytes);
      } else {
        JsonDestroy(heap, root, use);
      }
      heap.Reset();
      latencies.push_back(NowNs() - start);
    }
    ctx.AddOps(t, static_cast<std::int64_t>(corpus_.schedule.size()));
    allocations_[static_cast<std::size_t>(t)] = use.allocations;
  }

  int threads_;
  JsonCorpus corpus_;  // its error, if any, is reported by Run
  std::vector<std::uint64_t> expected_hash_;  // per document
  std::vector<std::int64_t> allocations_;     // per thread
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<Json>({
    .name = "json",
    .summary = "parse real and generated JSON into a DOM, walk it, destroy it",
    .params = JsonCorpusParams(),
    .heaps = {HeapKind::kMalloc, HeapKind::kArena, HeapKind::kPmrMonotonic,
              HeapKind::kPmrPool},
    .max_threads = 64,
    .ops_unit = "documents",
    .cost_weight = 1.0,
    .check = CheckJsonCorpusParams,
});

}  // namespace
}  // namespace allocmark
