#include "harness/matrix.h"

#include <algorithm>
#include <charconv>
#include <regex>

#include "harness/usage_error.h"

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

Params ResolveParams(const WorkloadInfo& w, const MatrixOptions& o) {
  Params params;
  for (const auto& p : w.params) params[p.name] = w.Default(p, o.profile);
  for (const auto& arg : o.param_overrides) {
    auto eq = arg.find('=');
    std::string key = arg.substr(0, eq);
    auto dot = key.find('.');
    if (dot != std::string::npos) {
      if (key.substr(0, dot) != w.name) continue;
      key = key.substr(dot + 1);
    }
    auto spec = std::find_if(w.params.begin(), w.params.end(),
                             [&](const auto& p) { return p.name == key; });
    if (spec == w.params.end()) continue;
    std::string text = arg.substr(eq + 1);
    std::int64_t value = 0;
    auto [end, ec] =
        std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
      throw UsageError("--param " + arg + ": '" + text + "' is not an integer");
    if (value < spec->min_value)
      throw UsageError("--param " + arg + ": " + w.name + "." + key +
                       " must be at least " + std::to_string(spec->min_value));
    params[key] = value;
  }
  if (w.check != nullptr)
    if (std::string error = w.check(params); !error.empty())
      throw UsageError("parameters of " + w.name + ": " + error);
  return params;
}

void CheckOverridesAreKnown(const MatrixOptions& o) {
  for (const auto& arg : o.param_overrides) {
    auto eq = arg.find('=');
    if (eq == std::string::npos || eq == 0)
      throw UsageError(
          "--param takes NAME=VALUE or WORKLOAD.NAME=VALUE, got '" + arg + "'");
    std::string key = arg.substr(0, eq);
    auto dot = key.find('.');
    bool known = false;
    for (const auto& w : Workloads()) {
      if (dot != std::string::npos && key.substr(0, dot) != w.name) continue;
      std::string name = dot != std::string::npos ? key.substr(dot + 1) : key;
      for (const auto& p : w.params) known = known || p.name == name;
    }
    if (!known)
      throw UsageError("--param " + arg + ": no workload has a parameter '" +
                       key + "' (allocmark list shows them)");
  }
}

}  // namespace

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
  if (o.threads.empty()) throw UsageError("--threads needs at least one count");
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
    for (int t : o.threads) {
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
        Cell cell{"",  c.workload->name, c.params, c.threads, c.heap, a,
                  rep, o.seed,           {}};
        cell.id = cell.workload + "-t" + std::to_string(c.threads) + "-" +
                  c.heap + "-" + a + "-r" + std::to_string(rep);
        cells.push_back(std::move(cell));
      }
    }
  }
  return cells;
}

}  // namespace allocmark
