// rocksdb: RocksDB's own benchmark tool, db_bench (Debian's rocksdb-tools),
// filling a fresh database with random keys from T threads and then reading
// random keys back from T threads.
//
// Models: an embedded LSM key-value store under concurrent writers and
// readers — the multi-threaded C++ heap the single-threaded programs do not
// show. Writers insert into the memtable (a skip list in RocksDB's arena,
// whose blocks come from malloc) while background threads flush full
// memtables (1 MiB) to table files and compact them; readers allocate and
// free per-lookup buffers and fill an 8 MiB block cache whose entries are
// malloc'ed and evicted. Every thread allocates and frees concurrently,
// and blocks allocated by one thread (cache entries, memtables) are freed by
// another.
// Does not model: durable writes (no fsync), compression (none), a network
// front end.
// Parameters: keys, the keys each thread writes and then reads (uniformly
// random in [0, keys), so about 63% are distinct); value_bytes; the cell's
// thread count is db_bench's --threads. The seed is db_bench's --seed (plus
// one: db_bench takes 0 to mean the clock), so the keys are the same in every
// cell. Measures: db_bench's wall time, CPU time over all its threads,
// faults, peak RSS and RSS over time (from outside it); ops are writes and
// reads; counters give db_bench's own rates and the keys found.
// How long: smoke ~0.2 s, quick ~0.5-1 s, full ~30 s per cell.
// Checks itself: db_bench must print both results, the read must find some
// keys and at most as many as it read (a key never written cannot be found),
// and the count found depends only on the seed and the parameters, so it is
// the same under every allocator (the program tests compare it).
#include <cstdlib>
#include <fstream>
#include <string>

#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/program_input.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

// One result line of db_bench:
// "readrandom   :  10.7 micros/op 176192 ops/sec 0.227 seconds 40000
// operations;   31.3 MB/s (17313 of 20000 found)".
struct BenchLine {
  bool present = false;
  double ops_per_s = 0;
  long found = -1;  // readrandom only
  long read = -1;
};

BenchLine FindBenchLine(const std::string& path, const std::string& name) {
  std::ifstream in(path);
  BenchLine result;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + " ", 0) != 0 || line.find(':') == std::string::npos)
      continue;
    result.present = true;
    if (auto at = line.find("micros/op "); at != std::string::npos)
      result.ops_per_s = std::strtod(line.c_str() + at + 10, nullptr);
    if (auto at = line.find('('); at != std::string::npos) {
      char* end = nullptr;
      result.found = std::strtol(line.c_str() + at + 1, &end, 10);
      if (end != nullptr && std::string(end).rfind(" of ", 0) == 0)
        result.read = std::strtol(end + 4, nullptr, 10);
    }
  }
  return result;
}

class ProgramRocksdb {
 public:
  explicit ProgramRocksdb(const WorkloadConfig& config)
      : keys_(config.Get("keys")),
        value_bytes_(config.Get("value_bytes")),
        threads_(config.threads),
        seed_(config.seed) {
    for (std::int64_t v : {keys_, value_bytes_, std::int64_t{threads_}})
      hash_.Add(static_cast<std::uint64_t>(v));
    hash_.Add(seed_);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    std::string db_bench;
    if (std::string error = FindProgram("db_bench", "rocksdb-tools", db_bench);
        !error.empty()) {
      ctx.Fail(error);
      return;
    }
    TempDir dir;
    ProgramSpec spec;
    spec.argv = {db_bench,
                 "--benchmarks=fillrandom,readrandom",
                 "--db=" + dir.File("db"),
                 "--num=" + std::to_string(keys_),
                 "--threads=" + std::to_string(threads_),
                 "--value_size=" + std::to_string(value_bytes_),
                 "--seed=" + std::to_string(seed_ % (1ULL << 62) + 1),
                 "--compression_type=none",
                 "--write_buffer_size=1048576",
                 "--cache_size=8388608",
                 "--progress_reports=0",
                 "--histogram=0"};
    spec.output_path = dir.File("output");
    if (!RunMeasuredProgram(spec, 0, ctx)) return;
    BenchLine fill = FindBenchLine(spec.output_path, "fillrandom");
    BenchLine read = FindBenchLine(spec.output_path, "readrandom");
    if (!fill.present || !read.present) {
      ctx.Fail("db_bench printed no fillrandom or readrandom result: " +
               TailOfFile(spec.output_path));
      return;
    }
    if (read.found <= 0 || read.read != keys_ || read.found > read.read) {
      ctx.Fail("db_bench found " + std::to_string(read.found) + " of " +
               std::to_string(read.read) + " keys read, expected 1.." +
               std::to_string(keys_));
      return;
    }
    ctx.SetCounter("fillrandom_ops_per_s", fill.ops_per_s);
    ctx.SetCounter("readrandom_ops_per_s", read.ops_per_s);
    ctx.SetCounter("keys_found", static_cast<double>(read.found));
    ctx.AddOps(0, 2 * keys_ * threads_);
  }

 private:
  std::int64_t keys_;
  std::int64_t value_bytes_;
  int threads_;
  std::uint64_t seed_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProgramRocksdb>({
    .name = "program_rocksdb",
    .summary = "real program: RocksDB's db_bench, fillrandom then readrandom "
               "from every thread",
    .params =
        {
            {"keys", "keys each thread writes, then reads", 2000, 20000, 500000,
             1},
            {"value_bytes", "size of every value", 200, 200, 200, 1},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 64,
    .ops_unit = "requests",
    .cost_weight = 1.0,
});

}  // namespace
}  // namespace allocmark
