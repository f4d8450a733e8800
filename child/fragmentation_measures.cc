#include "child/fragmentation_measures.h"

#include <algorithm>

namespace allocmark {
namespace {

std::optional<double> Ratio(double used, double live) {
  if (live <= 0) return std::nullopt;
  return std::max(used, 0.0) / live;
}

}  // namespace

Fragmentation ComputeFragmentation(std::span<const SeriesPoint> series,
                                   std::int64_t baseline_rss_bytes,
                                   std::int64_t peak_rss_bytes,
                                   std::int64_t peak_live_bytes) {
  Fragmentation f;
  const auto base = static_cast<double>(baseline_rss_bytes);
  const SeriesPoint* max_live = nullptr;
  const SeriesPoint* max_rss = nullptr;
  const SeriesPoint* previous = nullptr;
  double used_integral = 0, live_integral = 0;
  for (const SeriesPoint& p : series) {
    if (p.rss_bytes < 0) continue;
    if (max_live == nullptr || p.live_bytes > max_live->live_bytes)
      max_live = &p;
    if (max_rss == nullptr || p.rss_bytes > max_rss->rss_bytes) max_rss = &p;
    if (previous != nullptr) {
      const double dt = p.t_s - previous->t_s;
      used_integral +=
          dt *
          (static_cast<double>(p.rss_bytes + previous->rss_bytes) / 2 - base);
      live_integral +=
          dt * static_cast<double>(p.live_bytes + previous->live_bytes) / 2;
    }
    previous = &p;
  }
  if (live_integral > 0) f.time_avg = Ratio(used_integral, live_integral);
  if (max_live != nullptr)
    f.at_peak_live = Ratio(static_cast<double>(max_live->rss_bytes) - base,
                           static_cast<double>(max_live->live_bytes));
  if (max_rss != nullptr)
    f.at_peak_rss = Ratio(static_cast<double>(max_rss->rss_bytes) - base,
                          static_cast<double>(max_rss->live_bytes));
  if (peak_rss_bytes >= 0)
    f.max_over_max = Ratio(static_cast<double>(peak_rss_bytes) - base,
                           static_cast<double>(peak_live_bytes));
  return f;
}

}  // namespace allocmark
