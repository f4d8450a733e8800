// The four Johnstone & Wilson measures on synthetic series with known answers.
#include <gtest/gtest.h>

#include <vector>

#include "child/fragmentation_measures.h"

namespace allocmark {
namespace {

constexpr std::int64_t kBase = 1000;  // resident before the timed region

TEST(FragmentationTest, ConstantOverheadGivesTheSameRatioEverywhere) {
  // Used memory (rss - baseline) is always twice the live bytes.
  std::vector<SeriesPoint> s;
  for (int i = 0; i <= 10; ++i)
    s.push_back({0.01 * i, kBase + 2 * 100 * i, 100 * i});
  Fragmentation f = ComputeFragmentation(s, kBase, kBase + 2000, 1000);
  ASSERT_TRUE(f.time_avg && f.at_peak_live && f.at_peak_rss && f.max_over_max);
  EXPECT_DOUBLE_EQ(*f.time_avg, 2.0);
  EXPECT_DOUBLE_EQ(*f.at_peak_live, 2.0);
  EXPECT_DOUBLE_EQ(*f.at_peak_rss, 2.0);
  EXPECT_DOUBLE_EQ(*f.max_over_max, 2.0);
}

TEST(FragmentationTest, FourMeasuresDifferOnAPhaseChange) {
  // t=0..1: live 1000, used 1000; t=1..2: live 100, used 1500 (freed memory
  // not returned, plus growth): the classic case where they part ways.
  std::vector<SeriesPoint> s = {{0.0, kBase + 1000, 1000},
                                {1.0, kBase + 1000, 1000},
                                {1.0, kBase + 1500, 100},
                                {2.0, kBase + 1500, 100}};
  Fragmentation f = ComputeFragmentation(s, kBase, kBase + 1600, 1000);
  // #1: integral used = 1000 + 1500 = 2500, integral live = 1000 + 100 = 1100.
  EXPECT_DOUBLE_EQ(*f.time_avg, 2500.0 / 1100.0);
  // #2: at the first sample with the most live bytes (1000): 1000 / 1000.
  EXPECT_DOUBLE_EQ(*f.at_peak_live, 1.0);
  // #3: at the first sample with the most RSS: 1500 / 100.
  EXPECT_DOUBLE_EQ(*f.at_peak_rss, 15.0);
  // #4: the run's peaks (finer than the samples): 1600 / 1000.
  EXPECT_DOUBLE_EQ(*f.max_over_max, 1.6);
}

TEST(FragmentationTest, UndefinedWithoutLiveBytes) {
  std::vector<SeriesPoint> s = {{0.0, kBase, 0}, {1.0, kBase + 4096, 0}};
  Fragmentation f = ComputeFragmentation(s, kBase, kBase + 4096, 0);
  EXPECT_FALSE(f.time_avg);
  EXPECT_FALSE(f.at_peak_live);
  EXPECT_FALSE(f.at_peak_rss);
  EXPECT_FALSE(f.max_over_max);
}

TEST(FragmentationTest, SkipsUnreadableSamplesAndClampsBelowBaseline) {
  // RSS below the baseline (memory returned) counts as 0 used, not negative.
  std::vector<SeriesPoint> s = {
      {0.0, -1, 500}, {0.5, kBase - 10, 500}, {1.0, kBase + 500, 250}};
  Fragmentation f = ComputeFragmentation(s, kBase, kBase + 500, 500);
  EXPECT_DOUBLE_EQ(*f.at_peak_live, 0.0);
  EXPECT_DOUBLE_EQ(*f.at_peak_rss, 2.0);
  EXPECT_DOUBLE_EQ(*f.max_over_max, 1.0);
}

TEST(FragmentationTest, EmptySeries) {
  Fragmentation f = ComputeFragmentation({}, kBase, -1, 0);
  EXPECT_FALSE(f.time_avg || f.at_peak_live || f.at_peak_rss || f.max_over_max);
}

}  // namespace
}  // namespace allocmark
