#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "harness/run_session.h"
#include "harness/usage_error.h"
#include "tests/unit/scratch_dir.h"

namespace allocmark {
namespace {
namespace fs = std::filesystem;

class CellLoopTest : public ::testing::Test {
 protected:
  // churn on malloc under glibc, repetitions 0 and 1.
  static std::vector<Cell> Matrix() {
    MatrixOptions o;
    o.workloads_regex = "^churn$";
    o.heaps = {"malloc"};
    o.allocators = {"glibc"};
    o.reps = 2;
    o.profile = Profile::kSmoke;
    return ExpandMatrix(o);
  }

  // Why ReadFinishedCells refuses a run whose cells.jsonl holds `ids`, or "".
  std::string Refusal(const std::vector<std::string>& ids, int max_reps) {
    RunStore store = RunStore::Create(root_, "r" + std::to_string(++runs_));
    for (const auto& id : ids)
      store.AppendCell({{"cell_id", id}, {"status", "failed"}});
    std::set<std::string> done;
    std::vector<nlohmann::json> rows;
    try {
      ReadFinishedCells(store, Matrix(), max_reps, done, rows);
    } catch (const UsageError& e) {
      return e.what();
    }
    EXPECT_EQ(done.size(), ids.size());
    EXPECT_EQ(rows.size(), ids.size());
    return "";
  }

  ScratchDir scratch_{"cell-loop-test"};
  const fs::path& root_ = scratch_.path();
  int runs_ = 0;
};

TEST_F(CellLoopTest, ResumeTakesTheRowsOfTheMatrix) {
  EXPECT_EQ(
      Refusal({"churn-t1-malloc-glibc-r0", "churn-t1-malloc-glibc-r1"}, 0), "");
}

TEST_F(CellLoopTest, ResumeRefusesARowNotInTheMatrixNamingFileLineAndId) {
  std::string error =
      Refusal({"churn-t1-malloc-glibc-r0", "larson-t1-malloc-glibc-r0"}, 0);
  EXPECT_EQ(error, (root_ / "r1" / "cells.jsonl").string() +
                       " line 2: cell 'larson-t1-malloc-glibc-r0' is not in "
                       "the run's matrix");
  EXPECT_NE(Refusal({"churn-t1-malloc-jemalloc-r0"}, 0), "");
  EXPECT_NE(Refusal({"churn-t2-malloc-glibc-r0"}, 0), "");
  EXPECT_NE(Refusal({"churn-t1-malloc-glibc-r2"}, 0), "");
}

TEST_F(CellLoopTest, ResumeTakesRepetitionsUntilStableAddedUpToMaxReps) {
  EXPECT_EQ(
      Refusal({"churn-t1-malloc-glibc-r2", "churn-t1-malloc-glibc-r3"}, 4), "");
  EXPECT_NE(Refusal({"churn-t1-malloc-glibc-r4"}, 4)
                .find("line 1: cell 'churn-t1-malloc-glibc-r4'"),
            std::string::npos);
}

TEST_F(CellLoopTest, CellOfAnAllocatorTheRunDidNotResolveDiesWithACheck) {
  RunStore store = RunStore::Create(root_, "r");
  std::vector<Cell> cells = Matrix();
  cells[0].allocator = "hoard";
  std::vector<AllocatorChoice> allocators;  // glibc was not resolved either
  std::set<std::string> done;
  std::vector<nlohmann::json> rows;
  EXPECT_DEATH(
      RunCells(cells, allocators, CellRunOptions{}, store, {}, "", done, rows),
      "cell_loop\\.cc:[0-9]+: check failed: .*: cell "
      "churn-t1-malloc-glibc-r0 names allocator 'hoard'");
}

}  // namespace
}  // namespace allocmark
