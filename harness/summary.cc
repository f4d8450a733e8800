#include "harness/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "harness/cell_result.h"

namespace allocmark {

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string FormatSummary(const std::vector<nlohmann::json>& rows,
                          const std::string& baseline) {
  using Config =
      std::tuple<std::string, int, std::string>;  // workload, threads, heap
  struct Figures {
    std::vector<double> ops_per_s, peak_rss, fragmentation, share;
    int failed = 0;
  };
  std::map<Config, std::map<std::string, Figures>> groups;
  std::vector<std::string> allocator_order;
  std::string failures;
  for (const auto& r : rows) {
    Config key{r.value("workload", ""), r.value("threads", 1),
               r.value("heap", "")};
    std::string a = r.value("allocator", "");
    if (std::find(allocator_order.begin(), allocator_order.end(), a) ==
        allocator_order.end())
      allocator_order.push_back(a);
    Figures& f = groups[key][a];
    if (r.value("status", "") == "ok") {
      // The figures by their names in harness/figures.json; an optional one
      // joins its median only where the row has it.
      const std::pair<Figure, std::vector<double>*> shown[] = {
          {Figure("ops_per_s"), &f.ops_per_s},
          {Figure("peak_rss_bytes"), &f.peak_rss},
          {Figure("fragmentation"), &f.fragmentation},
          {Figure("allocator_instruction_share"), &f.share}};
      for (const auto& [figure, values] : shown)
        if (std::optional<double> value = FigureOf(r, figure))
          values->push_back(*value);
    } else {
      ++f.failed;
      failures += fmt::format("  {}: {}\n", r.value("cell_id", "?"),
                              r.value("error", "?"));
    }
  }
  // frag: the headline fragmentation (peak resident over peak live bytes,
  // both above the baseline); in alloc: the share of the timed region's
  // instructions inside the allocator or heap (--callgrind).
  std::string out = fmt::format(
      "{:<14} {:>3} {:<14} {:<12} {:>14} {:>10} {:>12} {:>6} {:>8} {:>4}\n",
      "workload", "thr", "heap", "allocator", "ops/s", "vs " + baseline,
      "peak RSS", "frag", "in alloc", "n");
  auto median_or_dash = [](const std::vector<double>& v, const char* format,
                           double scale) {
    return v.empty() ? std::string("-")
                     : fmt::format(fmt::runtime(format), Median(v) * scale);
  };
  for (const auto& [config, by_allocator] : groups) {
    const auto& [workload, threads, heap] = config;
    // The one baseline of every ratio (docs/methodology.md): the baseline
    // allocator on heap malloc, same workload and threads.
    double base = 0;
    if (auto group = groups.find(Config{workload, threads, "malloc"});
        group != groups.end())
      if (auto it = group->second.find(baseline); it != group->second.end())
        base = Median(it->second.ops_per_s);
    for (const auto& a : allocator_order) {
      auto it = by_allocator.find(a);
      if (it == by_allocator.end()) continue;
      const Figures& f = it->second;
      if (f.ops_per_s.empty()) {
        out += fmt::format(
            "{:<14} {:>3} {:<14} {:<12} {:>14} {:>10} {:>12} {:>6} {:>8} "
            "{:>4}\n",
            workload, threads, heap, a, "failed", "-", "-", "-", "-", f.failed);
        continue;
      }
      double ops = Median(f.ops_per_s);
      std::string rel = base > 0 ? fmt::format("{:.2f}x", ops / base) : "-";
      out += fmt::format(
          "{:<14} {:>3} {:<14} {:<12} {:>14.4g} {:>10} {:>8.1f} MiB {:>6} "
          "{:>8} {:>4}\n",
          workload, threads, heap, a, ops, rel,
          Median(f.peak_rss) / (1024.0 * 1024.0),
          median_or_dash(f.fragmentation, "{:.2f}", 1),
          median_or_dash(f.share, "{:.0f}%", 100), f.ops_per_s.size());
    }
  }
  if (!failures.empty()) out += "failed cells:\n" + failures;
  return out;
}

}  // namespace allocmark
