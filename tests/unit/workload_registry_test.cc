#include <gtest/gtest.h>

#include "workloads/support/workload.h"

namespace allocmark {
namespace {

TEST(WorkloadConfigDeathTest, ReadingAnUndeclaredParameterIsACheckFailure) {
  WorkloadConfig config;
  config.params["ops"] = 1;
  EXPECT_EQ(config.Get("ops"), 1);
  EXPECT_DEATH(config.Get("nope"),
               "workload_registry\\.cc:[0-9]+: check failed: .*: workload "
               "reads undeclared parameter 'nope'");
}

}  // namespace
}  // namespace allocmark
