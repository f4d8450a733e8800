// What a workload is, and how one registers itself.
//
// A workload is one workloads/<name>.cc: a class W with
//   explicit W(const WorkloadConfig& config);  // untimed: generate the trace
//   std::uint64_t RequestChecksum() const;     // of the generated requests
//   void Prepare(RunContext& ctx);  // optional, untimed: size its tables
//   template <Heap H> void Run(RunContext& ctx);  // timed: replay on heap H
// and one line that registers it with its name, parameters and heaps:
//   const bool kRegistered = RegisterWorkload<W>({...});
// The child constructs the workload, then times Run under Google Benchmark.
// Workloads know nothing of the harness or of the process allocator.
#ifndef ALLOCMARK_WORKLOADS_SUPPORT_WORKLOAD_H_
#define ALLOCMARK_WORKLOADS_SUPPORT_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "allocators/heaps.h"
#include "workloads/support/block_check.h"
#include "workloads/support/run_context.h"

namespace allocmark {

// One integer parameter with its unit in its name (`max_size_bytes`) and a
// value for each profile: smoke (well under a second, for tests), quick
// (a few seconds per cell), full (a long, careful run).
struct ParamSpec {
  std::string name;
  std::string help;
  std::int64_t smoke;
  std::int64_t quick;
  std::int64_t full;
  std::int64_t min_value = 0;  // smallest valid value
};

enum class Profile { kSmoke, kQuick, kFull };

// Resolved parameter values, by name.
using Params = std::map<std::string, std::int64_t, std::less<>>;

struct WorkloadConfig {
  Params params;
  int threads = 1;
  std::uint64_t seed = 1;
  // How blocks are checked (block_check.h): the canary, or every byte.
  BlockVerify verify = BlockVerify::kCanary;

  // The value of a declared parameter; aborts on an undeclared name, which is
  // a programming error in the workload.
  std::int64_t Get(std::string_view name) const;
  std::size_t GetSize(std::string_view name) const {
    return static_cast<std::size_t>(Get(name));
  }
};

class WorkloadInstance {
 public:
  virtual ~WorkloadInstance() = default;
  virtual std::uint64_t RequestChecksum() const = 0;
  // Untimed, once, after construction and before Run, with the context Run
  // will get: sizes and touches the per-thread state the timed region writes
  // (tables of live blocks, latency buffers), so that it is resident before
  // the baseline RSS is read and no measure counts it as the heap's.
  virtual void Prepare(RunContext& /*ctx*/) {}
  // Runs the timed part on `heap`; failures go to ctx.Fail().
  virtual void Run(HeapKind heap, RunContext& ctx) = 0;
};

struct WorkloadInfo {
  std::string name;
  std::string summary;  // one line for `allocmark list`
  std::vector<ParamSpec> params;
  std::vector<HeapKind> heaps;  // the heaps the pattern makes sense on
  int max_threads = 1;          // 1: single-threaded; larger: accepts T threads
  // The pattern's effect needs two threads or more (false sharing): its
  // default thread counts never stop at 1.
  bool needs_threads = false;
  // The name of the workload's main rate ("ops", "messages", "frames", ...).
  std::string ops_unit = "ops";
  // Relative cost of one cell at the quick profile (1: about a second), used
  // to balance shards of a matrix across machines.
  double cost_weight = 1.0;
  // Checks relations between parameters (min <= max, ...); returns an error
  // message, or "" when the values are consistent. Optional.
  std::string (*check)(const Params&) = nullptr;
  std::function<std::unique_ptr<WorkloadInstance>(const WorkloadConfig&)> make =
      {};

  std::int64_t Default(const ParamSpec& p, Profile profile) const;
};

// Registers a workload; returns true so it can initialise a namespace-scope
// constant. Called during static initialisation only.
bool RegisterWorkloadInfo(WorkloadInfo info);

template <class W>
bool RegisterWorkload(WorkloadInfo info) {
  struct Instance final : WorkloadInstance {
    explicit Instance(const WorkloadConfig& config) : workload(config) {}
    std::uint64_t RequestChecksum() const override {
      return workload.RequestChecksum();
    }
    void Prepare(RunContext& ctx) override {
      if constexpr (requires { workload.Prepare(ctx); }) workload.Prepare(ctx);
    }
    void Run(HeapKind heap, RunContext& ctx) override {
      if (!WithHeap(heap, [&]<Heap H>() { workload.template Run<H>(ctx); }))
        ctx.Fail(std::string("heap '") + std::string(HeapName(heap)) +
                 "' is not built into this binary");
    }
    W workload;
  };
  info.make = [](const WorkloadConfig& config) {
    return std::unique_ptr<WorkloadInstance>(new Instance(config));
  };
  return RegisterWorkloadInfo(std::move(info));
}

// Every registered workload, sorted by name.
std::span<const WorkloadInfo> Workloads();
const WorkloadInfo* FindWorkload(std::string_view name);

}  // namespace allocmark

#endif  // ALLOCMARK_WORKLOADS_SUPPORT_WORKLOAD_H_
