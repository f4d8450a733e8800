#include "harness/matrix.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "harness/usage_error.h"

namespace allocmark {
namespace {

MatrixOptions ChurnOptions() {
  MatrixOptions o;
  o.workloads_regex = "^churn$";
  o.heaps = {"malloc"};
  o.allocators = {"glibc", "jemalloc", "mimalloc"};
  o.reps = 2;
  o.profile = Profile::kSmoke;
  return o;
}

TEST(ExpandMatrix, InterleavesRepetitionsInAlternatingOrder) {
  std::vector<Cell> cells = ExpandMatrix(ChurnOptions());
  ASSERT_EQ(cells.size(), 6u);
  std::vector<std::string> order;
  for (const auto& c : cells)
    order.push_back(c.allocator + std::to_string(c.rep));
  EXPECT_EQ(order,
            (std::vector<std::string>{"glibc0", "jemalloc0", "mimalloc0",
                                      "mimalloc1", "jemalloc1", "glibc1"}));
}

TEST(ExpandMatrix, CellIdsAreUnique) {
  MatrixOptions o = ChurnOptions();
  o.threads = {1, 2};
  o.heaps = {};
  std::vector<Cell> cells = ExpandMatrix(o);
  std::set<std::string> ids;
  for (const auto& c : cells) ids.insert(c.id);
  EXPECT_EQ(ids.size(), cells.size());
}

TEST(ExpandMatrix, UsesProfileDefaultsAndOverrides) {
  MatrixOptions o = ChurnOptions();
  o.param_overrides = {"ops=123", "churn.min_size_bytes=7"};
  std::vector<Cell> cells = ExpandMatrix(o);
  const WorkloadInfo* churn = FindWorkload("churn");
  ASSERT_NE(churn, nullptr);
  EXPECT_EQ(cells[0].params.at("ops"), 123);
  EXPECT_EQ(cells[0].params.at("min_size_bytes"), 7);
  // A parameter not overridden keeps the profile's (smoke) value.
  auto untouched =
      std::find_if(churn->params.begin(), churn->params.end(),
                   [](const auto& p) { return p.name == "live_objects"; });
  ASSERT_NE(untouched, churn->params.end());
  ASSERT_EQ(o.profile, Profile::kSmoke);
  EXPECT_EQ(cells[0].params.at("live_objects"), untouched->smoke);
  EXPECT_NE(untouched->smoke, untouched->quick);
}

TEST(DefaultThreadCounts, FalseSharingRunsWhereItShares) {
  const WorkloadInfo* scratch = FindWorkload("cache_scratch");
  ASSERT_NE(scratch, nullptr);
  ASSERT_TRUE(scratch->needs_threads);
  EXPECT_EQ(DefaultThreadCounts(*scratch, Profile::kQuick, 2),
            (std::vector<int>{2}));
  EXPECT_EQ(DefaultThreadCounts(*scratch, Profile::kQuick, 1),
            (std::vector<int>{2}));
  EXPECT_EQ(DefaultThreadCounts(*scratch, Profile::kFull, 8),
            (std::vector<int>{1, 2, 4, 8}));
  const WorkloadInfo* larson = FindWorkload("larson");
  ASSERT_NE(larson, nullptr);
  EXPECT_EQ(DefaultThreadCounts(*larson, Profile::kQuick, 2),
            (std::vector<int>{1, 2}));
  EXPECT_EQ(DefaultThreadCounts(*larson, Profile::kSmoke, 2),
            (std::vector<int>{1}));
}

TEST(ExpandMatrix, RejectsBadInputWithTheReason) {
  auto expect_error = [](MatrixOptions o, const std::string& fragment) {
    try {
      ExpandMatrix(o);
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << e.what();
    }
  };
  MatrixOptions o = ChurnOptions();
  o.workloads_regex = "larsen";
  expect_error(o, "unknown workload 'larsen' (known: ");
  o = ChurnOptions();
  o.heaps = {"bump"};
  expect_error(o, "unknown heap 'bump' (known: malloc");
  o = ChurnOptions();
  o.reps = 0;
  expect_error(o, "--reps must be at least 1");
  o = ChurnOptions();
  o.threads = {0};
  expect_error(o, "--threads counts must be at least 1");
  o = ChurnOptions();
  o.param_overrides = {"ops=-5"};
  expect_error(o, "must be at least 1");
  o = ChurnOptions();
  o.param_overrides = {"ops=ten"};
  expect_error(o, "is not an integer");
  o = ChurnOptions();
  o.param_overrides = {"nonsense=1"};
  expect_error(o, "no workload has a parameter 'nonsense'");
  o = ChurnOptions();
  o.param_overrides = {"min_size_bytes=512", "max_size_bytes=64"};
  expect_error(o, "min_size_bytes is above max_size_bytes");
  o = ChurnOptions();
  o.workloads_regex = "(";
  expect_error(o, "is not a valid regular expression");
}

TEST(ParseProfile, KnowsTheThreeProfiles) {
  EXPECT_EQ(ParseProfile("smoke"), Profile::kSmoke);
  EXPECT_EQ(ParseProfile("full"), Profile::kFull);
  EXPECT_THROW(ParseProfile("fast"), UsageError);
}

}  // namespace
}  // namespace allocmark
