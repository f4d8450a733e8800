// redis: Debian's redis-server on a loopback port, driven by redis-benchmark
// and then through a fragmentation phase — the setting the Mesh paper
// (Powers et al., PLDI 2019) used to show allocator fragmentation.
//
// Models: a long-running in-memory store. Phase 1: redis-benchmark (a
// helper, not preloaded) runs SET, GET, LPUSH and LRANGE_100 with
// `requests` requests each, `value_bytes` values and random keys among
// `keys`. Phase 2 (fragmentation): `keys` keys are filled with values of
// 64..1024 bytes, a random `delete_percent` of them are deleted, and as many
// keys are added with values of 1024..4096 bytes, which the holes left by the
// deletions fit badly; the server's RSS over time shows what the allocator
// returns and reuses. The values are generated before the timed region.
// Does not model: persistence (save and appendonly are off), replication,
// clients on other machines.
// Measures: the server's wall time, CPU time, faults, peak RSS and RSS over
// time (its /proc/PID/statm, from outside); ops are requests served (the
// benchmark's and the fragmentation phase's); counters give redis-benchmark's
// own requests per second per command and the server's INFO memory figures
// after the refill (used_memory, used_memory_rss).
// How long: smoke ~0.3 s, quick ~1-2 s, full ~1 min per cell.
// Checks itself: the server must answer INFO with its own process id (never
// another process on the port), every command of phase 2 must succeed, and
// DBSIZE and the length of every refilled value must be what was written.
// The port: `port` 0 lets the kernel pick a free one (bind port 0); another
// value is tried first. A port that is taken, or that redis fails to bind,
// is skipped for the next one; nothing is left running on any failure.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/executable.h"
#include "base/file_text.h"
#include "base/temp_dir.h"
#include "workloads/support/external_program.h"
#include "workloads/support/resp_client.h"
#include "workloads/support/rng.h"
#include "workloads/support/workload.h"

namespace allocmark {
namespace {

constexpr int kPortTries = 8;
constexpr std::size_t kBatch = 1000;  // commands per pipelined round trip

// Binds 127.0.0.1:`port` (0: any free port) and returns the port bound, or 0
// when it is taken. The socket is closed: redis binds it right after.
int FreePort(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  int bound = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0)
    bound = ntohs(addr.sin_port);
  close(fd);
  return bound;
}

// The value of `field` in an INFO reply ("field:value" lines); "" if absent.
std::string InfoField(const std::string& info, const std::string& field) {
  std::istringstream lines(info);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
  }
  return "";
}

class ProgramRedis {
 public:
  explicit ProgramRedis(const WorkloadConfig& config)
      : requests_(config.Get("requests")),
        keys_(config.Get("keys")),
        value_bytes_(config.Get("value_bytes")),
        port_(static_cast<int>(config.Get("port"))),
        seed_(config.seed) {
    Rng rng(config.seed);
    const std::int64_t percent = config.Get("delete_percent");
    for (std::int64_t i = 0; i < keys_; ++i) {
      fill_sizes_.push_back(static_cast<std::uint32_t>(rng.Uniform(64, 1024)));
      if (static_cast<std::int64_t>(rng.Below(100)) < percent)
        deleted_.push_back(static_cast<std::uint32_t>(i));
    }
    for (std::size_t i = 0; i < deleted_.size(); ++i)
      refill_sizes_.push_back(
          static_cast<std::uint32_t>(rng.Uniform(1024, 4096)));
    values_.assign(4096, 'v');
    for (auto v : {requests_, keys_, value_bytes_, percent})
      hash_.Add(static_cast<std::uint64_t>(v));
    for (auto s : fill_sizes_) hash_.Add(s);
    for (auto d : deleted_) hash_.Add(d);
    for (auto s : refill_sizes_) hash_.Add(s);
  }

  std::uint64_t RequestChecksum() const { return hash_.value(); }

  template <Heap H>
  void Run(RunContext& ctx) {
    const std::string server_path = FindExecutable("redis-server");
    const std::string benchmark_path = FindExecutable("redis-benchmark");
    if (server_path.empty() || benchmark_path.empty()) {
      ctx.Fail(
          "redis-server or redis-benchmark is not installed: apt-get install "
          "redis-server redis-tools");
      return;
    }
    TempDir dir;
    Program server;
    RespClient client;
    int port = 0;
    if (!StartServer(server_path, dir, server, client, port, ctx)) return;
    ctx.SetCounter("port", port);
    std::int64_t ops = 0;
    if (!RunBenchmark(benchmark_path, dir, port, ctx, ops) ||
        !Fragment(client, ctx, ops)) {
      server.Stop(2, &ctx);
      return;
    }
    ProgramExit exit = server.Stop(10, &ctx);
    if (!exit.ok()) {
      ctx.Fail("redis-server " + exit.Describe(10) +
               " when stopped: " + TailOfFile(dir.File("server.log")));
      return;
    }
    ctx.AddProgramUsage(exit.Usage());
    ctx.AddOps(0, ops);
  }

 private:
  // Starts redis-server on a free loopback port (trying up to kPortTries),
  // proves its allocator and connects `client` to it.
  bool StartServer(const std::string& path, const TempDir& dir, Program& server,
                   RespClient& client, int& port, RunContext& ctx) {
    std::string last_error = "no port tried";
    for (int attempt = 0, candidate = port_; attempt < kPortTries; ++attempt) {
      port = FreePort(candidate);
      candidate = candidate != 0 ? candidate + 1 : 0;
      if (port == 0) {
        last_error = "port " + std::to_string(candidate - 1) + " is taken";
        continue;
      }
      ProgramSpec spec;
      spec.argv = {path,
                   "--bind",
                   "127.0.0.1",
                   "--port",
                   std::to_string(port),
                   "--save",
                   "",
                   "--appendonly",
                   "no",
                   "--daemonize",
                   "no",
                   "--protected-mode",
                   "yes",
                   "--dir",
                   dir.path(),
                   "--logfile",
                   ""};
      spec.output_path = dir.File("server.log");
      if (std::string error = server.Start(spec); !error.empty()) {
        ctx.Fail("cannot start redis-server: " + error);
        return false;
      }
      ctx.SetMeasuredPid(server.pid());
      if (std::string error = server.ProveAllocator(); !error.empty()) {
        ctx.Fail("redis-server: " + error);
        server.Stop(2, &ctx);
        return false;
      }
      if (Ready(server, client, port, last_error)) return true;
      server.Stop(2, &ctx);  // lost the port to another process, or failed
    }
    ctx.Fail("redis-server did not start on a free port: " + last_error + ": " +
             TailOfFile(dir.File("server.log")));
    return false;
  }

  // Waits (up to 10 s) until the server answers INFO with its own pid.
  static bool Ready(const Program& server, RespClient& client, int port,
                    std::string& error) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (server.HasExited()) {
        error = "redis-server exited on port " + std::to_string(port);
        return false;
      }
      RespClient probe;
      if (probe.Connect(port, 10)) {
        RespReply info;
        if (!probe.Call({"INFO", "server"}, info)) {
          error = probe.error();
          return false;
        }
        if (InfoField(info.text, "process_id") !=
            std::to_string(server.pid())) {
          error = "another process answers on port " + std::to_string(port);
          return false;
        }
        return client.Connect(port, 30) || (error = client.error(), false);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    error = "redis-server did not answer on port " + std::to_string(port) +
            " within 10 s";
    return false;
  }

  // Phase 1: redis-benchmark, not preloaded (it is load, not the subject).
  bool RunBenchmark(const std::string& path, const TempDir& dir, int port,
                    RunContext& ctx, std::int64_t& ops) {
    ProgramSpec spec;
    spec.under_test = false;
    spec.argv = {path,
                 "-h",
                 "127.0.0.1",
                 "-p",
                 std::to_string(port),
                 "-n",
                 std::to_string(requests_),
                 "-d",
                 std::to_string(value_bytes_),
                 "-r",
                 std::to_string(keys_),
                 "-c",
                 "16",
                 "-t",
                 "set,get,lpush,lrange_100",
                 "--csv"};
    spec.output_path = dir.File("benchmark.csv");
    Program benchmark;
    if (std::string error = benchmark.Start(spec); !error.empty()) {
      ctx.Fail("cannot start redis-benchmark: " + error);
      return false;
    }
    ProgramExit exit = benchmark.Wait(600);
    if (!exit.ok()) {
      ctx.Fail("redis-benchmark " + exit.Describe(600) + ": " +
               TailOfFile(spec.output_path));
      return false;
    }
    // "SET","81234.56",... one line per test; LPUSH appears twice (once to
    // fill the list LRANGE reads).
    std::ifstream csv(spec.output_path);
    int tests = 0;
    for (std::string line; std::getline(csv, line);) {
      if (line.size() < 2 || line[0] != '"' || line.rfind("\"test\"", 0) == 0)
        continue;
      std::size_t name_end = line.find('"', 1);
      std::string name = line.substr(1, name_end - 1);
      std::size_t rps_at = line.find('"', name_end + 1);
      double rps = std::strtod(line.c_str() + rps_at + 1, nullptr);
      ops += requests_;
      ++tests;
      std::string key = name.substr(0, name.find(' '));
      if (name.find('(') != std::string::npos && key == "LPUSH") continue;
      for (char& c : key)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      ctx.SetCounter(key + "_rps", rps);
    }
    if (tests < 4) {
      ctx.Fail("redis-benchmark printed " + std::to_string(tests) +
               " results, not 5: " + TailOfFile(spec.output_path));
      return false;
    }
    return true;
  }

  // Sends `count` commands made by make(i), kBatch per round trip; every
  // reply must be a non-error.
  template <class Make>
  bool Pipeline(RespClient& client, std::size_t count, Make make,
                RunContext& ctx, std::int64_t& ops,
                std::vector<RespReply>* keep = nullptr) {
    std::vector<RespReply> replies;
    for (std::size_t at = 0; at < count;) {
      std::size_t end = std::min(count, at + kBatch);
      for (; at < end; ++at) make(at);
      if (!client.Flush(replies)) {
        ctx.Fail("redis: " + client.error());
        return false;
      }
      for (const auto& r : replies)
        if (r.error()) {
          ctx.Fail("redis replied " + r.text);
          return false;
        }
      ops += static_cast<std::int64_t>(replies.size());
      if (keep != nullptr)
        keep->insert(keep->end(), replies.begin(), replies.end());
    }
    return true;
  }

  // Phase 2: fill, delete a random share, refill with larger values.
  bool Fragment(RespClient& client, RunContext& ctx, std::int64_t& ops) {
    RespReply reply;
    if (!client.Call({"FLUSHALL"}, reply) || reply.error()) {
      ctx.Fail("redis FLUSHALL failed: " +
               (reply.error() ? reply.text : client.error()));
      return false;
    }
    auto key = [](const char* prefix, std::size_t i) {
      return prefix + std::to_string(i);
    };
    std::string k;
    auto set = [&](const char* prefix, std::size_t i, std::uint32_t size) {
      k = key(prefix, i);
      client.Append({"SET", k, std::string_view(values_).substr(0, size)});
    };
    const std::size_t keys = static_cast<std::size_t>(keys_);
    if (!Pipeline(
            client, keys,
            [&](std::size_t i) { set("fill:", i, fill_sizes_[i]); }, ctx,
            ops) ||
        !Pipeline(
            client, deleted_.size(),
            [&](std::size_t i) {
              k = key("fill:", deleted_[i]);
              client.Append({"DEL", k});
            },
            ctx, ops) ||
        !Pipeline(
            client, refill_sizes_.size(),
            [&](std::size_t i) { set("refill:", i, refill_sizes_[i]); }, ctx,
            ops))
      return false;
    std::vector<RespReply> lengths;
    if (!Pipeline(
            client, refill_sizes_.size(),
            [&](std::size_t i) {
              k = key("refill:", i);
              client.Append({"STRLEN", k});
            },
            ctx, ops, &lengths))
      return false;
    for (std::size_t i = 0; i < lengths.size(); ++i)
      if (lengths[i].text != std::to_string(refill_sizes_[i])) {
        ctx.Fail("redis: refill:" + std::to_string(i) + " holds " +
                 lengths[i].text + " bytes, not " +
                 std::to_string(refill_sizes_[i]));
        return false;
      }
    if (!client.Call({"DBSIZE"}, reply) || reply.text != std::to_string(keys)) {
      ctx.Fail("redis: DBSIZE is " + reply.text + ", not " +
               std::to_string(keys));
      return false;
    }
    if (client.Call({"INFO", "memory"}, reply)) {
      for (const char* field : {"used_memory", "used_memory_rss"})
        ctx.SetCounter(
            std::string(field) + "_bytes",
            std::strtod(InfoField(reply.text, field).c_str(), nullptr));
    }
    return true;
  }

  std::int64_t requests_;
  std::int64_t keys_;
  std::int64_t value_bytes_;
  int port_;
  std::uint64_t seed_;
  std::vector<std::uint32_t> fill_sizes_;
  std::vector<std::uint32_t> deleted_;
  std::vector<std::uint32_t> refill_sizes_;
  std::string values_;
  RequestHash hash_;
};

const bool kRegistered = RegisterWorkload<ProgramRedis>({
    .name = "program_redis",
    .summary = "real program: redis-server under redis-benchmark, then fill, "
               "delete, refill",
    .params =
        {
            {"requests", "redis-benchmark requests per command", 500, 5000,
             200000, 1},
            {"keys", "keys of the benchmark and of the fragmentation phase",
             2000, 50000, 1000000, 1},
            {"value_bytes", "redis-benchmark value size", 256, 256, 256, 1},
            {"delete_percent", "share of the filled keys deleted, in percent",
             50, 50, 50, 0},
            {"port",
             "0: a free port the kernel picks; else the first port tried", 0, 0,
             0, 0},
        },
    .heaps = {HeapKind::kMalloc},
    .max_threads = 1,
    .ops_unit = "requests",
    .cost_weight = 1.5,
    .check = [](const Params& p) -> std::string {
      if (p.at("delete_percent") > 100) return "delete_percent is above 100";
      if (p.at("port") > 65535) return "port is above 65535";
      return "";
    },
});

}  // namespace
}  // namespace allocmark
