// Folding the child's Google Benchmark JSON into a cells.jsonl row: a golden
// check of the fields, and of the proof check that refuses a wrong allocator.
#include "harness/cell_runner.h"

#include <gtest/gtest.h>

namespace allocmark {
namespace {

nlohmann::json ChildJson(const std::string& allocator) {
  return nlohmann::json::parse(R"({
    "context": {"malloc_allocator": ")" +
                               allocator + R"(",
                "malloc_library": "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                "malloc_version": "5.3.0", "request_checksum": "00000000deadbeef"},
    "benchmarks": [{"name": "churn/heap:malloc/threads:1", "real_time": 250.0, "time_unit": "ms",
                    "ops": 1000.0, "ops_per_s": 4000.0, "peak_rss_bytes": 8192.0,
                    "peak_live_bytes": 4096.0, "fragmentation": 2.0, "user_s": 0.2, "sys_s": 0.05,
                    "page_faults": 10.0, "p99_ns": 120.0,
                    "stats.jemalloc.allocated_bytes": 4096.0, "workload.frames": 60.0}]
  })");
}

AllocatorChoice Jemalloc() {
  static const ProcessAllocator* table = FindProcessAllocator("jemalloc");
  return {"jemalloc",
          "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
          table,
          false,
          {}};
}

TEST(FoldChildJson, CopiesTheFiguresAndConvertsTime) {
  nlohmann::json row;
  FoldChildJson(ChildJson("jemalloc"), Jemalloc(), row);
  EXPECT_EQ(row["status"], "ok");
  EXPECT_DOUBLE_EQ(row["wall_s"].get<double>(), 0.25);
  EXPECT_EQ(row["ops"], 1000.0);
  EXPECT_EQ(row["ops_per_s"], 4000.0);
  EXPECT_EQ(row["peak_rss_bytes"], 8192.0);
  EXPECT_EQ(row["p99_ns"], 120.0);
  EXPECT_EQ(row["request_checksum"], "00000000deadbeef");
  EXPECT_EQ(row["allocator_proven"], "jemalloc");
  EXPECT_EQ(row["allocator_stats"]["jemalloc.allocated_bytes"], 4096.0);
  EXPECT_EQ(row["counters"]["frames"], 60.0);
  EXPECT_FALSE(row.contains("error"));
}

TEST(FoldChildJson, AWrongAllocatorFailsTheCellWithTheProof) {
  nlohmann::json row;
  FoldChildJson(ChildJson("mimalloc"), Jemalloc(), row);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_NE(row["error"].get<std::string>().find("served by mimalloc"),
            std::string::npos);
  EXPECT_FALSE(row.contains("ops_per_s"));
}

TEST(FoldChildJson, AWorkloadErrorFailsTheCellAndReportsNoFigures) {
  nlohmann::json child = ChildJson("jemalloc");
  child["benchmarks"][0] = {
      {"name", "x"},
      {"error_occurred", true},
      {"error_message",
       "block of 64 bytes (request 7) was changed while live"}};
  nlohmann::json row;
  FoldChildJson(child, Jemalloc(), row);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_EQ(row["error"],
            "block of 64 bytes (request 7) was changed while live");
  EXPECT_FALSE(row.contains("wall_s"));
}

TEST(FoldChildJson, NoBenchmarkIsAFailure) {
  nlohmann::json row;
  FoldChildJson(nlohmann::json::object(), Jemalloc(), row);
  EXPECT_EQ(row["status"], "failed");
}

}  // namespace
}  // namespace allocmark
