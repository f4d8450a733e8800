#include "workloads/support/param_override.h"

#include <gtest/gtest.h>

#include <string>

namespace allocmark {
namespace {

ParamOverride Parse(const std::string& text) {
  std::string error;
  std::optional<ParamOverride> o = ParseParamOverride(text, &error);
  EXPECT_TRUE(o.has_value()) << text << ": " << error;
  return o.value_or(ParamOverride{});
}

std::string ErrorOf(const std::string& text) {
  std::string error;
  EXPECT_FALSE(ParseParamOverride(text, &error).has_value()) << text;
  return error;
}

TEST(ParseParamOverride, ReadsBothForms) {
  ParamOverride all = Parse("ops=123");
  EXPECT_EQ(all.workload, "");
  EXPECT_EQ(all.name, "ops");
  EXPECT_EQ(all.value, 123);
  ParamOverride one = Parse("churn.live_objects=-7");
  EXPECT_EQ(one.workload, "churn");
  EXPECT_EQ(one.name, "live_objects");
  EXPECT_EQ(one.value, -7);
  EXPECT_EQ(Parse("ops=9223372036854775807").value, INT64_MAX);
}

TEST(ParseParamOverride, RefusesMalformedOverridesWithOneLine) {
  const std::string form = "--param takes NAME=VALUE or WORKLOAD.NAME=VALUE";
  for (const char* text : {"ops", "=5", ".ops=5", "churn.=5", ""})
    EXPECT_EQ(ErrorOf(text).rfind(form, 0), 0u) << text;
  EXPECT_EQ(ErrorOf("ops=1e3"), "--param ops=1e3: '1e3' is not an integer");
  EXPECT_EQ(ErrorOf("ops="), "--param ops=: '' is not an integer");
  EXPECT_EQ(ErrorOf("ops= 5"), "--param ops= 5: ' 5' is not an integer");
  EXPECT_EQ(ErrorOf("ops=99999999999999999999"),
            "--param ops=99999999999999999999: '99999999999999999999' is not "
            "an integer");
}

TEST(FindParam, MatchesTheNamedWorkloadOrAnyThatDeclaresTheName) {
  const WorkloadInfo* churn = FindWorkload("churn");
  ASSERT_NE(churn, nullptr);
  const ParamSpec* ops = FindParam(*churn, Parse("ops=1"));
  ASSERT_NE(ops, nullptr);
  EXPECT_EQ(ops->name, "ops");
  EXPECT_NE(FindParam(*churn, Parse("churn.ops=1")), nullptr);
  EXPECT_EQ(FindParam(*churn, Parse("larson.ops=1")), nullptr);
  EXPECT_EQ(FindParam(*churn, Parse("nosuch=1")), nullptr);
  EXPECT_EQ(ParamValueProblem(*churn, *ops, 0), "churn.ops must be at least 1");
  EXPECT_EQ(ParamValueProblem(*churn, *ops, 1), "");
}

}  // namespace
}  // namespace allocmark
