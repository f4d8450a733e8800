#include "workloads/support/probe_report.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace allocmark {
namespace {

std::string FileName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

// Why `start`'s malloc is not `expected`'s, in a reader's words.
std::string Mismatch(const ProbeStart& start, const std::string& expected,
                     bool descendant) {
  std::string who = descendant ? "descendant " + FileName(start.exe) +
                                     " (pid " + std::to_string(start.pid) + ")"
                               : FileName(start.exe);
  std::string what = "malloc in " + who + " is served by " +
                     start.malloc_object + ", not " + expected;
  if (start.malloc_object == start.exe)
    what += " (an allocator linked into the executable ignores LD_PRELOAD)";
  return what;
}

}  // namespace

const ProbeStart* ProbeReports::LastStart(int pid) const {
  const ProbeStart* last = nullptr;
  for (const ProbeStart& s : starts)
    if (s.pid == pid) last = &s;
  return last;
}

ProbeReports ReadProbeReports(const std::string& path) {
  ProbeReports reports;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    const std::string event = j.value("event", "");
    const int pid = j.value("pid", 0);
    if (event == "start") {
      reports.starts.push_back(
          {pid, j.value("ppid", 0), j.value("exe", ""), j.value("malloc", "")});
    } else if (event == "exit" && j.contains("stats") &&
               j["stats"].is_object()) {
      reports.exit_peak_rss_bytes[pid] =
          j.value("peak_rss_bytes", std::int64_t{0});
      AllocatorStats& stats = reports.exit_stats[pid];
      stats.clear();
      for (const auto& [name, value] : j["stats"].items())
        if (value.is_number()) stats[name] = value.get<double>();
    }
  }
  return reports;
}

std::string CheckProbeReports(const ProbeReports& reports, int root,
                              const std::string& expected) {
  if (reports.LastStart(root) == nullptr)
    return "the program did not load allocmark's probe (statically linked, "
           "setuid, or it cleared LD_PRELOAD): its allocator cannot be "
           "swapped or proven";
  for (const ProbeStart& s : reports.starts)
    if (s.malloc_object != expected)
      return Mismatch(s, expected, s.pid != root);
  return "";
}

}  // namespace allocmark
