#include "harness/matrix.h"

#include <sched.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <thread>

#include "harness/usage_error.h"
#include "workloads/support/param_override.h"

namespace allocmark {
namespace {

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> WorkloadNames() {
  std::vector<std::string> names;
  for (const auto& w : Workloads()) names.push_back(w.name);
  return names;
}

std::vector<std::string> HeapNames() {
  std::vector<std::string> names;
  for (const auto& [kind, name] : kHeapNames) names.emplace_back(name);
  return names;
}

// The override `arg`; throws UsageError when it is malformed.
ParamOverride ParseOverrideOrThrow(const std::string& arg) {
  std::string error;
  std::optional<ParamOverride> o = ParseParamOverride(arg, &error);
  if (!o) throw UsageError(error);
  return *o;
}

Params ResolveParams(const WorkloadInfo& w, const MatrixOptions& o) {
  Params params;
  for (const auto& p : w.params) params[p.name] = w.Default(p, o.profile);
  for (const auto& arg : o.param_overrides) {
    ParamOverride override = ParseOverrideOrThrow(arg);
    const ParamSpec* spec = FindParam(w, override);
    if (spec == nullptr) continue;
    if (std::string problem = ParamValueProblem(w, *spec, override.value);
        !problem.empty())
      throw UsageError("--param " + arg + ": " + problem);
    params[spec->name] = override.value;
  }
  if (w.check != nullptr)
    if (std::string error = w.check(params); !error.empty())
      throw UsageError("parameters of " + w.name + ": " + error);
  return params;
}

void CheckOverridesAreKnown(const MatrixOptions& o) {
  for (const auto& arg : o.param_overrides) {
    ParamOverride override = ParseOverrideOrThrow(arg);
    auto all = Workloads();
    if (std::none_of(all.begin(), all.end(), [&](const WorkloadInfo& w) {
          return FindParam(w, override) != nullptr;
        }))
      throw UsageError("--param " + arg + ": no workload has a parameter '" +
                       arg.substr(0, arg.find('=')) +
                       "' (allocmark list shows them)");
  }
}

}  // namespace

std::vector<int> DefaultThreadCounts(const WorkloadInfo& w, Profile profile,
                                     int cores) {
  std::vector<int> counts = {1};
  if (w.max_threads > 1) {
    if (profile == Profile::kQuick) counts.push_back(cores);
    if (profile == Profile::kFull) {
      for (int t = 2; t < cores; t *= 2) counts.push_back(t);
      counts.push_back(cores);
    }
    if (w.needs_threads && cores < 2) counts.push_back(2);
    if (w.needs_threads && profile == Profile::kSmoke) counts.push_back(2);
  }
  // At one thread a false-sharing workload has nothing to share: the quick
  // profile spends its time where the effect is; the full one keeps 1 as
  // the control.
  if (w.needs_threads && profile == Profile::kQuick) std::erase(counts, 1);
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  std::erase_if(counts, [&](int t) { return t > w.max_threads; });
  return counts;
}

int UsableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(1, CPU_COUNT(&set));
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Profile ParseProfile(const std::string& name) {
  if (name == "smoke") return Profile::kSmoke;
  if (name == "quick") return Profile::kQuick;
  if (name == "full") return Profile::kFull;
  throw UsageError("unknown profile '" + name +
                   "' (known: smoke, quick, full)");
}

std::vector<Cell> ExpandMatrix(const MatrixOptions& o) {
  if (o.reps < 1)
    throw UsageError("--reps must be at least 1, got " +
                     std::to_string(o.reps));
  for (int t : o.threads)
    if (t < 1)
      throw UsageError("--threads counts must be at least 1, got " +
                       std::to_string(t));
  for (const auto& h : o.heaps)
    if (!HeapFromName(h))
      throw UsageError("unknown heap '" + h + "' (known: " + Join(HeapNames()) +
                       ")");
  if (o.allocators.empty()) throw UsageError("no allocator to measure");
  CheckOverridesAreKnown(o);

  std::regex pattern;
  try {
    pattern = std::regex(o.workloads_regex);
  } catch (const std::regex_error&) {
    throw UsageError("--workloads '" + o.workloads_regex +
                     "' is not a valid regular expression");
  }
  struct Config {
    const WorkloadInfo* workload;
    Params params;
    int threads;
    std::string heap;
  };
  std::vector<Config> configs;
  bool any_workload = false;
  for (const auto& w : Workloads()) {
    if (!std::regex_search(w.name, pattern)) continue;
    any_workload = true;
    Params params = ResolveParams(w, o);
    const std::vector<int> threads =
        o.threads.empty()
            ? DefaultThreadCounts(w, o.profile,
                                  o.cores > 0 ? o.cores : UsableCores())
            : o.threads;
    for (int t : threads) {
      if (t > w.max_threads) continue;
      for (HeapKind kind : w.heaps) {
        std::string heap(HeapName(kind));
        if (!o.heaps.empty() &&
            std::find(o.heaps.begin(), o.heaps.end(), heap) == o.heaps.end())
          continue;
        configs.push_back({&w, params, t, heap});
      }
    }
  }
  if (!any_workload)
    throw UsageError("unknown workload '" + o.workloads_regex +
                     "' (known: " + Join(WorkloadNames()) + ")");
  if (configs.empty())
    throw UsageError(
        "the matrix is empty: no selected workload runs on the selected heaps "
        "and thread counts");

  std::vector<Cell> cells;
  for (int rep = 0; rep < o.reps; ++rep) {
    for (const auto& c : configs) {
      std::vector<std::string> order = o.allocators;
      if (rep % 2 == 1) std::reverse(order.begin(), order.end());
      for (const auto& a : order) {
        if (!o.every_allocator_for_every_heap && c.heap != "malloc" &&
            a != o.allocators.front())
          continue;
        Cell cell{"",  c.workload->name, c.params, c.threads, c.heap, a,
                  rep, o.seed,           o.verify, {}};
        cell.id = cell.workload + "-t" + std::to_string(c.threads) + "-" +
                  c.heap + "-" + a + "-r" + std::to_string(rep);
        cells.push_back(std::move(cell));
      }
    }
  }
  return cells;
}

}  // namespace allocmark
