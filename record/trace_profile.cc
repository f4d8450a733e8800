#include "record/trace_profile.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "record/trace_events.h"

namespace allocmark::trace {
namespace {

// Size classes: 0, then powers of two up to 2^40 (class k holds sizes in
// (2^(k-1), 2^k]).
constexpr int kSizeClasses = 42;
int SizeClass(std::uint64_t size) {
  if (size == 0) return 0;
  const int ceil_log2 = size == 1 ? 0 : 64 - __builtin_clzll(size - 1);
  return std::min(ceil_log2 + 1, kSizeClasses - 1);
}
// The largest size of class k.
std::uint64_t ClassMax(int k) { return k == 0 ? 0 : 1ULL << (k - 1); }

// The decade of `value`: bucket 0 below `first_limit`, then one per factor
// of ten, the last holding everything above.
std::size_t DecadeBucket(std::uint64_t value, std::uint64_t first_limit,
                         std::size_t buckets) {
  std::uint64_t limit = first_limit;
  for (std::size_t b = 0; b + 1 < buckets; ++b, limit *= 10)
    if (value < limit) return b;
  return buckets - 1;
}
// Lifetimes by decade: below 1 us, 10 us, ... 1000 s, then longer.
constexpr std::size_t kTimeBuckets = 11;
std::size_t TimeBucket(std::uint64_t ns) {
  return DecadeBucket(ns, 1000, kTimeBuckets);
}
// Allocations in between, by decade: below 10, 100, ... 10^9, then more.
constexpr std::size_t kCountBuckets = 10;
std::size_t CountBucket(std::uint64_t n) {
  return DecadeBucket(n, 10, kCountBuckets);
}

// Live bytes over time in at most kMaxPoints buckets of equal width, each
// holding the highest value in it; the width doubles as the trace goes on.
class LiveSeries {
 public:
  void Add(std::uint64_t t_ns, std::int64_t live) {
    while (t_ns / width_ns_ >= kMaxPoints) {
      for (std::size_t i = 0; i < kMaxPoints / 2; ++i)
        max_[i] = std::max(max_[2 * i], max_[2 * i + 1]);
      std::fill(max_.begin() + kMaxPoints / 2, max_.end(), -1);
      width_ns_ *= 2;
    }
    std::int64_t& slot = max_[t_ns / width_ns_];
    slot = std::max(slot, live);
  }
  nlohmann::json Json() const {
    nlohmann::json series = nlohmann::json::array();
    std::int64_t last = 0;
    for (std::size_t i = 0; i < kMaxPoints; ++i) {
      if (max_[i] < 0) continue;
      last = max_[i];
      series.push_back({static_cast<double>(i * width_ns_) / 1e9, last});
    }
    return series;
  }

 private:
  static constexpr std::size_t kMaxPoints = 256;
  std::uint64_t width_ns_ = 1000000;
  std::array<std::int64_t, kMaxPoints> max_ = [] {
    std::array<std::int64_t, kMaxPoints> a;
    a.fill(-1);
    return a;
  }();
};

struct ThreadStats {
  std::uint64_t acquires = 0;
  std::uint64_t releases = 0;
  std::uint64_t bytes = 0;
  std::uint64_t run = 0;  // releases since this thread's last allocation
  std::uint64_t run_bytes = 0;
};

std::string Percent(double share) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.0f%%", 100 * share);
  return text;
}

std::string Bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char text[32];
  std::snprintf(text, sizeof(text), u == 0 ? "%.0f %s" : "%.1f %s", bytes,
                units[u]);
  return text;
}

double Share(double part, double whole) { return whole > 0 ? part / whole : 0; }

// The plain reading: each sentence states the numbers it rests on.
nlohmann::json Reading(const nlohmann::json& p) {
  nlohmann::json lines = nlohmann::json::array();
  const double blocks = p["blocks"].get<double>();
  if (blocks == 0) {
    lines.push_back("The program made no allocation that was recorded.");
    return lines;
  }
  // Lifetimes.
  double within_1000 = 0;
  for (const auto& b : p["lifetime_allocations"])
    if (b["below"].is_number() && b["below"].get<double>() <= 1000)
      within_1000 += b["blocks"].get<double>();
  const double short_share = within_1000 / blocks;
  const double burst_share = p["bursts"]["share_of_releases"].get<double>();
  if (short_share >= 0.5) {
    std::string s = Percent(short_share) +
                    " of blocks die within 1,000 allocations of their birth";
    if (burst_share >= 0.3)
      s += ", and " + Percent(burst_share) + " of frees come in bursts of " +
           std::to_string(kBurstMinReleases) +
           " or more: an arena candidate, reset where a burst ends.";
    else
      s += ", freed one by one (" + Percent(burst_share) +
           " in bursts): a thread-caching allocator's fast path serves them.";
    lines.push_back(s);
  } else {
    lines.push_back("Blocks live long: only " + Percent(short_share) +
                    " die within 1,000 allocations of their birth, so "
                    "packing (fragmentation) matters more than speed.");
  }
  // Sizes: the narrowest run of classes up to 256 B with 60% of allocations.
  const auto& classes = p["size_classes"];
  std::vector<double> counts;
  std::vector<std::uint64_t> maxima;
  for (const auto& c : classes) {
    counts.push_back(c["allocations"].get<double>());
    maxima.push_back(c["max_bytes"].get<std::uint64_t>());
  }
  for (std::size_t width = 1; width <= 3; ++width) {
    bool found = false;
    for (std::size_t i = 0; i + width <= counts.size(); ++i) {
      if (maxima[i + width - 1] > 256) break;
      double sum = 0;
      for (std::size_t k = i; k < i + width; ++k) sum += counts[k];
      if (sum / blocks >= 0.6) {
        const std::uint64_t low = i == 0 ? 0 : maxima[i - 1] + 1;
        lines.push_back("Mostly small fixed sizes: " + Percent(sum / blocks) +
                        " of allocations are " + std::to_string(low) + "-" +
                        std::to_string(maxima[i + width - 1]) +
                        " B: a slab candidate.");
        found = true;
        break;
      }
    }
    if (found) break;
  }
  const double large = p["large_allocations"]["share_of_bytes"].get<double>();
  if (large >= 0.25)
    lines.push_back(Percent(large) +
                    " of the bytes asked for are in blocks of 128 KiB or "
                    "more: how the allocator maps and returns large blocks "
                    "(mmap thresholds, decay) decides the resident set.");
  // Threads.
  const double cross = p["cross_thread"]["share"].get<double>();
  if (p["threads"].get<int>() > 1) {
    if (cross >= 0.05)
      lines.push_back(Percent(cross) +
                      " of frees are made by another thread than the one "
                      "that allocated: the allocator's remote-free path "
                      "matters (slab-mt among allocmark's heaps).");
    else
      lines.push_back(std::to_string(p["threads"].get<int>()) +
                      " threads, and frees stay on the allocating thread (" +
                      Percent(cross) +
                      " cross-thread): per-thread heaps or caches fit.");
  }
  // Realloc.
  const auto& r = p["realloc"];
  const double calls = p["calls"].get<double>();
  if (calls > 0 && r["calls"].get<double>() / calls >= 0.02)
    lines.push_back(Percent(r["calls"].get<double>() / calls) +
                    " of calls are realloc, in chains up to " +
                    std::to_string(r["longest_chain"].get<std::uint64_t>()) +
                    " long, " + Percent(r["in_place_share"].get<double>()) +
                    " of them in place: growing buffers, where reserving "
                    "capacity saves copies.");
  // What is never freed.
  const double peak = p["live_bytes"]["peak_bytes"].get<double>();
  const double at_end = p["live_bytes"]["at_end_bytes"].get<double>();
  if (peak > 0 && at_end / peak >= 0.5)
    lines.push_back(Percent(at_end / peak) + " of the peak live bytes (" +
                    Bytes(peak) +
                    ") are still live at the end: the program leaves them to "
                    "exit.");
  return lines;
}

}  // namespace

nlohmann::json ProfileTrace(const TraceFile& file) {
  const TraceHeader& h = file.header();
  TraceCalls calls(file, /*strict=*/false);
  std::array<std::uint64_t, kOpCount> op_calls{}, op_bytes{}, op_failed{};
  std::array<std::uint64_t, kSizeClasses> class_count{}, class_bytes{};
  std::array<std::uint64_t, kTimeBuckets> life_time{};
  std::array<std::uint64_t, kCountBuckets> life_count{};
  std::vector<ThreadStats> threads(file.threads());
  LiveSeries series;
  std::int64_t peak = 0;
  std::uint64_t peak_ns = 0, last_ns = 0, call_count = 0;
  std::uint64_t releases = 0, cross_releases = 0;
  std::uint64_t burst_releases = 0, burst_bytes = 0, released_bytes = 0;
  std::uint64_t realloc_calls = 0, in_place = 0, grow = 0, shrink = 0;
  std::map<std::uint64_t, std::uint64_t> chain_lengths;
  std::uint64_t longest_chain = 0, large_bytes = 0, total_bytes = 0;
  std::int64_t live_now = 0;
  auto end_run = [&](ThreadStats& t) {
    if (t.run >= kBurstMinReleases) {
      burst_releases += t.run;
      burst_bytes += t.run_bytes;
    }
    t.run = t.run_bytes = 0;
  };

  Call c;
  while (calls.Next(c)) {
    ++call_count;
    const auto op = static_cast<std::size_t>(c.op);
    ++op_calls[op];
    last_ns = c.time_ns;
    ThreadStats& t = threads[c.thread];
    if (c.failed) ++op_failed[op];
    if (c.releases) {
      ++releases;
      ++t.releases;
      released_bytes += c.released.size;
      if (c.released.thread != c.thread) ++cross_releases;
      const std::uint64_t age =
          c.time_ns - std::min(c.time_ns, c.released.birth_ns);
      ++life_time[TimeBucket(age)];
      ++life_count[CountBucket(calls.blocks() - c.released.id - 1 -
                               (c.acquires ? 1 : 0))];
      if (!c.acquires) {
        ++t.run;
        t.run_bytes += c.released.size;
        if (c.released.realloc_depth > 0)
          ++chain_lengths[c.released.realloc_depth];
      }
    }
    if (c.acquires) {
      ++t.acquires;
      t.bytes += c.size;
      end_run(t);
      op_bytes[op] += c.size;
      total_bytes += c.size;
      if (c.size >= (128u << 10)) large_bytes += c.size;
      const int k = SizeClass(c.size);
      ++class_count[static_cast<std::size_t>(k)];
      class_bytes[static_cast<std::size_t>(k)] += c.size;
    }
    if (c.op == Op::kRealloc || c.op == Op::kReallocarray) {
      ++realloc_calls;
      if (c.releases && c.acquires) {
        longest_chain =
            std::max<std::uint64_t>(longest_chain, c.acquired.realloc_depth);
        if (c.in_place) ++in_place;
        if (c.acquired.size >= c.released.size)
          ++grow;
        else
          ++shrink;
      }
    }
    live_now = c.live_bytes;
    if (c.live_bytes > peak) {
      peak = c.live_bytes;
      peak_ns = c.time_ns;
    }
    series.Add(c.time_ns, c.live_bytes);
  }
  for (ThreadStats& t : threads) end_run(t);
  nlohmann::json p;
  p["trace"] = file.path();
  p["format_version"] = h.version;
  p["command"] = h.command;
  p["allocator"] = h.allocator.empty() ? "glibc" : h.allocator;
  p["malloc_object"] = h.malloc_object;
  p["start_time"] = h.start_time;
  p["origin"] = h.origin;
  p["complete"] = file.end().has_value();
  p["dropped_events"] = file.end() ? file.end()->dropped : 0;
  p["events"] = file.events();
  p["calls"] = call_count;
  p["blocks"] = calls.blocks();
  p["threads"] = file.threads();
  p["duration_s"] = static_cast<double>(last_ns) / 1e9;
  p["unknown_releases"] = calls.unknown_releases();
  if (!calls.first_problem().empty())
    p["first_unknown_release"] = calls.first_problem();
  p["entry_points"] = nlohmann::json::array();
  for (int op = 1; op < kOpCount; ++op) {
    auto i = static_cast<std::size_t>(op);
    if (op_calls[i] == 0) continue;
    p["entry_points"].push_back({{"name", OpName(static_cast<Op>(op))},
                                 {"calls", op_calls[i]},
                                 {"bytes", op_bytes[i]},
                                 {"failed", op_failed[i]}});
  }
  p["size_classes"] = nlohmann::json::array();
  for (int k = 0; k < kSizeClasses; ++k) {
    auto i = static_cast<std::size_t>(k);
    if (class_count[i] == 0) continue;
    p["size_classes"].push_back({{"max_bytes", ClassMax(k)},
                                 {"allocations", class_count[i]},
                                 {"bytes", class_bytes[i]}});
  }
  p["lifetime_ns"] = nlohmann::json::array();
  std::uint64_t limit = 1000;
  for (std::size_t b = 0; b < kTimeBuckets; ++b, limit *= 10)
    p["lifetime_ns"].push_back(
        {{"below", b + 1 < kTimeBuckets ? nlohmann::json(limit) : nullptr},
         {"blocks", life_time[b]}});
  p["lifetime_allocations"] = nlohmann::json::array();
  limit = 10;
  for (std::size_t b = 0; b < kCountBuckets; ++b, limit *= 10)
    p["lifetime_allocations"].push_back(
        {{"below", b + 1 < kCountBuckets ? nlohmann::json(limit) : nullptr},
         {"blocks", life_count[b]}});
  p["never_freed_blocks"] = calls.live_blocks();
  p["live_bytes"] = {{"peak_bytes", peak},
                     {"peak_time_s", static_cast<double>(peak_ns) / 1e9},
                     {"at_end_bytes", live_now},
                     {"series", series.Json()}};
  p["threads_detail"] = nlohmann::json::array();
  for (std::size_t i = 0; i < threads.size(); ++i)
    p["threads_detail"].push_back({{"thread", i},
                                   {"allocations", threads[i].acquires},
                                   {"frees", threads[i].releases},
                                   {"bytes", threads[i].bytes}});
  p["cross_thread"] = {{"frees", releases},
                       {"cross_thread_frees", cross_releases},
                       {"share", Share(static_cast<double>(cross_releases),
                                       static_cast<double>(releases))}};
  nlohmann::json chains = nlohmann::json::array();
  for (const auto& [length, n] : chain_lengths)
    chains.push_back({{"reallocs", length}, {"chains", n}});
  p["realloc"] = {{"calls", realloc_calls},
                  {"growing", grow},
                  {"shrinking", shrink},
                  {"in_place_share", Share(static_cast<double>(in_place),
                                           static_cast<double>(grow + shrink))},
                  {"longest_chain", longest_chain},
                  {"freed_chains", chains}};
  p["bursts"] = {
      {"min_releases", kBurstMinReleases},
      {"releases_in_bursts", burst_releases},
      {"bytes_in_bursts", burst_bytes},
      {"share_of_releases", Share(static_cast<double>(burst_releases),
                                  static_cast<double>(releases))},
      {"share_of_released_bytes", Share(static_cast<double>(burst_bytes),
                                        static_cast<double>(released_bytes))}};
  p["large_allocations"] = {
      {"min_bytes", 128 << 10},
      {"bytes", large_bytes},
      {"share_of_bytes", Share(static_cast<double>(large_bytes),
                               static_cast<double>(total_bytes))}};
  p["reading"] = Reading(p);
  return p;
}

std::string ProfileText(const nlohmann::json& p) {
  std::ostringstream out;
  std::string command;
  for (const auto& arg : p["command"]) {
    if (!command.empty()) command += ' ';
    command += arg.get<std::string>();
  }
  out << "trace      " << p["trace"].get<std::string>() << "\n"
      << "command    " << command << "\n"
      << "allocator  " << p["allocator"].get<std::string>() << ", recorded "
      << p["start_time"].get<std::string>()
      << (p["complete"].get<bool>() ? ""
                                    : " (no end record: crashed, killed "
                                      "or exec'd)")
      << "\n"
      << "calls      " << p["calls"] << " in " << p["duration_s"] << " s, "
      << p["threads"] << " thread(s), " << p["blocks"] << " blocks\n"
      << "live bytes peak " << p["live_bytes"]["peak_bytes"] << " ("
      << Bytes(p["live_bytes"]["peak_bytes"].get<double>()) << ") at "
      << p["live_bytes"]["peak_time_s"] << " s; "
      << p["live_bytes"]["at_end_bytes"] << " at the end\n";
  if (p["unknown_releases"].get<std::uint64_t>() > 0)
    out << "contradictions " << p["unknown_releases"]
        << " releases of blocks not live; first: "
        << p.value("first_unknown_release", "") << "\n";
  out << "\nentry point                          calls           bytes\n";
  for (const auto& e : p["entry_points"]) {
    char line[160];
    std::snprintf(line, sizeof(line), "%-32s %9llu %15llu\n",
                  e["name"].get<std::string>().c_str(),
                  e["calls"].get<unsigned long long>(),
                  e["bytes"].get<unsigned long long>());
    out << line;
  }
  out << "\nsize class (up to)     allocations           bytes\n";
  for (const auto& c : p["size_classes"]) {
    char line[160];
    std::snprintf(line, sizeof(line), "%18llu B %13llu %15llu\n",
                  c["max_bytes"].get<unsigned long long>(),
                  c["allocations"].get<unsigned long long>(),
                  c["bytes"].get<unsigned long long>());
    out << line;
  }
  out << "\nlifetime (below)      blocks   allocations between (below)  "
         "blocks\n";
  const auto& lt = p["lifetime_ns"];
  const auto& la = p["lifetime_allocations"];
  for (std::size_t i = 0; i < std::max(lt.size(), la.size()); ++i) {
    char line[160];
    std::string time = i < lt.size() ? (lt[i]["below"].is_null()
                                            ? "longer"
                                            : lt[i]["below"].dump() + " ns")
                                     : "";
    std::string count =
        i < la.size()
            ? (la[i]["below"].is_null() ? "more" : la[i]["below"].dump())
            : "";
    std::snprintf(line, sizeof(line), "%-16s %11s   %-27s %7s\n", time.c_str(),
                  i < lt.size() ? lt[i]["blocks"].dump().c_str() : "",
                  count.c_str(),
                  i < la.size() ? la[i]["blocks"].dump().c_str() : "");
    out << line;
  }
  out << "never freed      " << p["never_freed_blocks"] << "\n";
  out << "\ncross-thread frees " << p["cross_thread"]["cross_thread_frees"]
      << " of " << p["cross_thread"]["frees"] << " ("
      << Percent(p["cross_thread"]["share"].get<double>()) << ")\n"
      << "realloc calls " << p["realloc"]["calls"] << ", longest chain "
      << p["realloc"]["longest_chain"] << "\n"
      << "frees in bursts of " << kBurstMinReleases << "+ "
      << p["bursts"]["releases_in_bursts"] << " ("
      << Percent(p["bursts"]["share_of_releases"].get<double>()) << ")\n";
  out << "\nreading\n";
  for (const auto& line : p["reading"])
    out << "- " << line.get<std::string>() << "\n";
  return out.str();
}

}  // namespace allocmark::trace
