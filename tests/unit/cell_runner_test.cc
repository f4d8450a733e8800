// Folding the child's Google Benchmark JSON into a cell's result and its
// cells.jsonl row: a golden check of the fields, of the figures taken by the
// table, and of the proof check that refuses a wrong allocator.
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

Cell ChurnCell() {
  Cell cell;
  cell.id = "churn-t1-malloc-jemalloc-r0";
  cell.workload = "churn";
  cell.heap = "malloc";
  cell.allocator = "jemalloc";
  return cell;
}

// The row FoldChildJson's result becomes.
nlohmann::json FoldedRow(const nlohmann::json& child) {
  CellResult result(ChurnCell());
  FoldChildJson(child, Jemalloc(), result);
  return CellRow(result);
}

TEST(FoldChildJson, CopiesTheFiguresAndConvertsTime) {
  nlohmann::json row = FoldedRow(ChildJson("jemalloc"));
  EXPECT_EQ(row["status"], "ok");
  EXPECT_EQ(row["cell_id"], "churn-t1-malloc-jemalloc-r0");
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

TEST(FoldChildJson, TakesEveryFigureOfTheTableTheChildReported) {
  nlohmann::json child = ChildJson("jemalloc");
  auto& b = child["benchmarks"][0];
  for (Figure f : Figure::All())
    b[std::string(f.name())] = static_cast<double>(f.index() + 1);
  b["not_a_figure"] = 7.0;
  nlohmann::json row = FoldedRow(child);
  ASSERT_EQ(row["status"], "ok");
  for (Figure f : Figure::All()) {
    if (f == Figure("wall_s")) continue;  // Google Benchmark's real time
    EXPECT_EQ(row[std::string(f.name())], static_cast<double>(f.index() + 1))
        << f.name();
  }
  EXPECT_FALSE(row.contains("not_a_figure"));
}

TEST(FoldChildJson, AWrongAllocatorFailsTheCellWithTheProof) {
  nlohmann::json row = FoldedRow(ChildJson("mimalloc"));
  EXPECT_EQ(row["status"], "failed");
  EXPECT_NE(row["error"].get<std::string>().find("served by mimalloc"),
            std::string::npos);
  EXPECT_EQ(row["allocator_proven"], "mimalloc");
  EXPECT_FALSE(row.contains("ops_per_s"));
}

TEST(FoldChildJson, AWorkloadErrorFailsTheCellAndReportsNoFigures) {
  nlohmann::json child = ChildJson("jemalloc");
  child["benchmarks"][0] = {
      {"name", "x"},
      {"error_occurred", true},
      {"error_message",
       "block of 64 bytes (request 7) was changed while live"}};
  nlohmann::json row = FoldedRow(child);
  EXPECT_EQ(row["status"], "failed");
  EXPECT_EQ(row["error"],
            "block of 64 bytes (request 7) was changed while live");
  EXPECT_FALSE(row.contains("wall_s"));
}

TEST(FoldChildJson, NoOperationsFailsTheCellAndReportsNoFigures) {
  nlohmann::json child = ChildJson("jemalloc");
  child["benchmarks"][0]["ops"] = 0.0;
  nlohmann::json row = FoldedRow(child);
  EXPECT_EQ(row["status"], "failed");
  for (Figure f : Figure::All())
    EXPECT_FALSE(row.contains(std::string(f.name()))) << f.name();
  EXPECT_FALSE(row.contains("allocator_stats"));
}

TEST(FoldChildJson, NoBenchmarkIsAFailure) {
  nlohmann::json row = FoldedRow(nlohmann::json::object());
  EXPECT_EQ(row["status"], "failed");
  EXPECT_FALSE(row.contains("allocator_proven"));
}

}  // namespace
}  // namespace allocmark
