#include "harness/child_process.h"

#include <signal.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

#include "base/process.h"
#include "base/resident_set.h"

namespace allocmark {
namespace {

volatile std::sig_atomic_t g_stop = 0;

void OnStopSignal(int) { g_stop = 1; }

// "512 MiB", "2.0 GiB".
std::string Size(std::int64_t bytes) {
  char buf[32];
  double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  if (mib < 1024)
    std::snprintf(buf, sizeof(buf), "%.0f MiB", mib);
  else
    std::snprintf(buf, sizeof(buf), "%.1f GiB", mib / 1024.0);
  return buf;
}

}  // namespace

std::string ChildOutcome::Describe(const ChildSpec& spec) const {
  if (!started) return "could not start: " + error;
  if (interrupted) return "interrupted";
  if (timed_out) {
    // Whole seconds as given ("60 s"), fractions as given ("0.3 s").
    std::ostringstream limit;
    limit << spec.timeout_s;
    return "timed out after " + limit.str() + " s";
  }
  if (over_memory)
    return "exceeded the memory limit of " + Size(spec.max_rss_bytes) +
           " (resident " + Size(rss_at_kill_bytes) + ")";
  return DescribeExit(exit_code, signal);
}

ChildOutcome RunChild(const ChildSpec& spec) {
  ChildOutcome outcome;
  Process child;
  SpawnSpec spawn;
  spawn.argv = spec.argv;
  spawn.env = spec.env;
  spawn.output_path = spec.output_path;
  outcome.error = child.Start(spawn);
  if (!outcome.error.empty()) return outcome;
  outcome.started = true;

  std::optional<ResidentSetReader> rss;
  if (spec.max_rss_bytes > 0) rss.emplace(child.pid());
  bool over_time = false;
  const bool exited = child.AwaitExit(spec.max_rss_bytes > 0 ? 20 : 100, [&] {
    over_time = spec.timeout_s > 0 && child.ElapsedS() > spec.timeout_s;
    if (rss) {
      const std::int64_t bytes = rss->ReadBytes();
      if (bytes > spec.max_rss_bytes) {
        outcome.over_memory = true;
        outcome.rss_at_kill_bytes = bytes;
      }
    }
    return over_time || g_stop || outcome.over_memory;
  });
  if (!exited) {
    outcome.timed_out = over_time && !g_stop;
    outcome.interrupted = g_stop != 0;
    child.SignalGroup(SIGKILL);
  }
  const ProcessExit exit = child.Reap();
  outcome.wall_s = exit.wall_s;
  outcome.max_rss_kib = exit.usage.ru_maxrss;
  // A peak shorter than the polling interval still shows in the child's
  // high-water mark: a cell that went over the limit fails even if it ended.
  const std::int64_t peak_bytes =
      static_cast<std::int64_t>(exit.usage.ru_maxrss) * 1024;
  if (spec.max_rss_bytes > 0 && peak_bytes > spec.max_rss_bytes &&
      !outcome.timed_out && !outcome.interrupted) {
    outcome.over_memory = true;
    outcome.rss_at_kill_bytes = std::max(outcome.rss_at_kill_bytes, peak_bytes);
  }
  outcome.exit_code = exit.exit_code;
  if (!outcome.timed_out && !outcome.interrupted && !outcome.over_memory)
    outcome.signal = exit.signal;
  return outcome;
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool StopRequested() { return g_stop != 0; }

}  // namespace allocmark
