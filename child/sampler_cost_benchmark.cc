// allocmark-sampler-cost: what the child's instruments cost (the RSS sampler
// and a latency sample), measured directly, because a 1% effect drowns in
// the noise of an end-to-end timing on a shared 2-vCPU machine
// (docs/methodology.md gives both).
//
// The sampler runs alone (the main thread sleeps) at a given interval; the
// process's CPU time over that span is the sampler's (waking, reading
// /proc/self/statm, summing the live bytes, storing the sample). Counters:
//   cpu_us_per_sample   CPU time of one sample
//   core_fraction_pct   CPU time / wall time, in percent of one core: the
//                       throughput a core-bound workload can lose to the
//                       sampler if it must share its core, an upper bound
//                       when the sampler has a core of its own
// BM_LatencySample times one per-operation latency sample (two clock reads
// and a store), the cost the workloads pay every latency_every operations.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <thread>
#include <vector>

#include "child/sampler.h"
#include "workloads/support/run_context.h"

namespace allocmark {
namespace {

double CpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  auto s = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) +
           static_cast<double>(tv.tv_usec) * 1e-6;
  };
  return s(r.ru_utime) + s(r.ru_stime);
}

// range(0): sampling interval in microseconds; range(1): span in milliseconds.
void BM_SamplerAlone(benchmark::State& state) {
  RunContext ctx(2);
  const auto interval = std::chrono::microseconds(state.range(0));
  const auto span = std::chrono::milliseconds(state.range(1));
  double cpu_s = 0, wall_s = 0, samples = 0;
  for (auto _ : state) {
    Sampler sampler(ctx, interval, std::size_t{1} << 22);
    double cpu0 = CpuSeconds();
    auto t0 = std::chrono::steady_clock::now();
    sampler.Start();
    std::this_thread::sleep_for(span);
    sampler.Stop();
    wall_s +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
    cpu_s += CpuSeconds() - cpu0;
    samples += static_cast<double>(sampler.samples().size());
  }
  state.counters["samples"] = benchmark::Counter(samples);
  state.counters["cpu_us_per_sample"] =
      benchmark::Counter(cpu_s / samples * 1e6);
  state.counters["core_fraction_pct"] =
      benchmark::Counter(cpu_s / wall_s * 100);
}
// The default interval (2 ms) and the earlier default (5 ms) and 1 ms, over
// 5 s each, and a dense one (100 us) for a precise per-sample cost.
BENCHMARK(BM_SamplerAlone)
    ->Args({5000, 5000})
    ->Args({2000, 5000})
    ->Args({1000, 5000})
    ->Args({100, 1000})
    ->Iterations(1)
    ->Repetitions(5)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// One latency sample as churn takes it: two steady_clock reads and a
// push_back into a reserved vector. The latency cost per operation is this
// over latency_every.
void BM_LatencySample(benchmark::State& state) {
  std::vector<std::int64_t> latencies;
  latencies.reserve(1 << 20);
  for (auto _ : state) {
    if (latencies.size() == latencies.capacity()) latencies.clear();
    auto start = std::chrono::steady_clock::now();
    benchmark::ClobberMemory();
    latencies.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count());
  }
  benchmark::DoNotOptimize(latencies.data());
}
BENCHMARK(BM_LatencySample)->Repetitions(5);

}  // namespace
}  // namespace allocmark

BENCHMARK_MAIN();
