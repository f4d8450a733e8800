#include "base/check.h"

#include <gtest/gtest.h>

namespace allocmark {
namespace {

TEST(CheckDeathTest, AbortsWithFileLineConditionAndMessage) {
  int one = 1;
  EXPECT_DEATH(ALLOCMARK_CHECK(one == 2) << "one is " << one,
               "check_test\\.cc:[0-9]+: check failed: one == 2: one is 1");
}

TEST(CheckDeathTest, AbortsWithoutAMessage) {
  EXPECT_DEATH(ALLOCMARK_CHECK(1 > 2),
               "check_test\\.cc:[0-9]+: check failed: "
               "1 > 2\n");
}

TEST(Check, APassingCheckDoesNotEvaluateItsMessage) {
  int evaluated = 0;
  ALLOCMARK_CHECK(evaluated == 0) << ++evaluated;
  EXPECT_EQ(evaluated, 0);
}

TEST(Check, EvaluatesItsConditionOnce) {
  int evaluated = 0;
  ALLOCMARK_CHECK(++evaluated == 1);
  EXPECT_EQ(evaluated, 1);
}

#ifdef NDEBUG
TEST(Check, DcheckEvaluatesNothingInARelease) {
  int evaluated = 0;
  ALLOCMARK_DCHECK(++evaluated == 5) << ++evaluated;
  EXPECT_EQ(evaluated, 0);
}
#else
TEST(CheckDeathTest, DcheckAbortsInADebugBuild) {
  EXPECT_DEATH(ALLOCMARK_DCHECK(2 + 2 == 5) << "arithmetic",
               "check_test\\.cc:[0-9]+: check failed: 2 \\+ 2 == 5: "
               "arithmetic");
}
#endif

}  // namespace
}  // namespace allocmark
