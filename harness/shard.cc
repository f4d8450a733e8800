#include "harness/shard.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "harness/usage_error.h"

namespace allocmark {
namespace {

std::string ConfigKey(const Cell& c) {
  std::string key = c.workload + "|" + std::to_string(c.threads) + "|" + c.heap;
  for (const auto& [name, value] : c.params)
    key += "|" + name + "=" + std::to_string(value);
  return key;
}

}  // namespace

Shard ParseShard(const std::string& text) {
  auto slash = text.find('/');
  Shard s;
  auto parse = [&](std::string_view part, int& out) {
    auto [end, ec] =
        std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc() && end == part.data() + part.size();
  };
  if (slash == std::string::npos ||
      !parse(std::string_view(text).substr(0, slash), s.index) ||
      !parse(std::string_view(text).substr(slash + 1), s.count))
    throw UsageError("--shard takes I/N, e.g. 2/8, got '" + text + "'");
  if (s.count < 1 || s.index < 1 || s.index > s.count)
    throw UsageError("--shard " + text + ": I must be between 1 and N");
  return s;
}

std::vector<Cell> SelectShard(const std::vector<Cell>& cells,
                              const Shard& shard) {
  if (shard.count == 1) return cells;
  // Expected cost of each configuration: its number of cells, weighted by
  // the workload's relative cost.
  std::map<std::string, double> cost;
  for (const auto& c : cells) {
    const WorkloadInfo* w = FindWorkload(c.workload);
    cost[ConfigKey(c)] += (w != nullptr ? w->cost_weight : 1.0) * c.threads;
  }
  std::vector<std::pair<std::string, double>> configs(cost.begin(), cost.end());
  // Largest first; ties by key, so every machine computes the same split.
  std::stable_sort(
      configs.begin(), configs.end(),
      [](const auto& a, const auto& b) { return a.second > b.second; });
  // More shards than configurations leaves the extra shards empty; the
  // bins are bounded by the configurations, whatever N the user gives.
  std::vector<double> load(
      std::min(static_cast<std::size_t>(shard.count), configs.size()), 0.0);
  std::map<std::string, int> owner;
  for (const auto& [key, c] : configs) {
    auto least = std::min_element(load.begin(), load.end());
    *least += c;
    owner[key] = static_cast<int>(least - load.begin()) + 1;
  }
  std::vector<Cell> selected;
  for (const auto& c : cells)
    if (owner[ConfigKey(c)] == shard.index) selected.push_back(c);
  return selected;
}

}  // namespace allocmark
