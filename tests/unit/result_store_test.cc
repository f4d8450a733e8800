#include "harness/result_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/usage_error.h"
#include "tests/unit/scratch_dir.h"

namespace allocmark {
namespace {
namespace fs = std::filesystem;

class RunStoreTest : public ::testing::Test {
 protected:
  ScratchDir scratch_{"store-test"};
  const fs::path& root_ = scratch_.path();
};

TEST_F(RunStoreTest, WritesRunJsonAndAppendsCells) {
  RunStore store = RunStore::Create(root_, "r1");
  store.WriteRunJson({{"schema_version", kSchemaVersion}, {"run_id", "r1"}});
  store.AppendCell({{"cell_id", "a"}, {"status", "ok"}});
  store.AppendCell(
      {{"cell_id", "b"}, {"status", "failed"}, {"error", "killed by SIGSEGV"}});
  store.PointLatest();

  EXPECT_TRUE(fs::is_directory(root_ / "r1" / "timeseries"));
  EXPECT_EQ(store.ReadRunJson()["run_id"], "r1");
  auto cells = RunStore::Open(root_ / "latest").ReadCells();
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[1]["error"], "killed by SIGSEGV");
  EXPECT_FALSE(fs::exists(root_ / "r1" / "run.json.tmp"));
}

TEST_F(RunStoreTest, DropsATornLastLine) {
  RunStore store = RunStore::Create(root_, "r2");
  store.AppendCell({{"cell_id", "a"}});
  std::ofstream(root_ / "r2" / "cells.jsonl", std::ios::app)
      << "{\"cell_id\": \"b\", \"sta";
  EXPECT_EQ(store.ReadCells().size(), 1u);
}

TEST_F(RunStoreTest, RefusesWhatIsNotARunOrCannotBeWritten) {
  EXPECT_THROW(RunStore::Open(root_ / "nothing"), UsageError);
  fs::create_directories(root_);
  std::ofstream(root_ / "file") << "x";
  EXPECT_THROW(RunStore::Create(root_ / "file", "r"), UsageError);
}

TEST_F(RunStoreTest, RunIdsDoNotCollide) {
  fs::create_directories(root_);
  std::string first = NewRunId(root_);
  fs::create_directories(root_ / first);
  EXPECT_NE(NewRunId(root_), first);
}

}  // namespace
}  // namespace allocmark
