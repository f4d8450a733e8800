"""allocmark_stats and the U test on known inputs."""
import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

import allocmark_stats as stats
import compare_runs

SAMPLE = [10.2, 9.8, 10.5, 10.1, 9.9, 10.4, 10.0, 30.0]


def test_bootstrap_interval_is_reproducible_and_holds_the_median():
    first = stats.bootstrap_ci_median(SAMPLE)
    second = stats.bootstrap_ci_median(SAMPLE)
    assert first == second
    low, high = first
    assert low <= stats.median(SAMPLE) <= high
    # A percentile interval of medians of resamples lies within the data.
    assert min(SAMPLE) <= low and high <= max(SAMPLE)


def test_bootstrap_interval_of_a_ratio_holds_the_ratio():
    a = [2.0, 2.1, 1.9, 2.05, 1.95]
    b = [1.0, 1.02, 0.98, 1.01, 0.99]
    low, high = stats.bootstrap_ci_ratio(a, b)
    assert (low, high) == stats.bootstrap_ci_ratio(a, b)
    assert low <= stats.ratio_of_medians(a, b) <= high
    assert 1.8 < low and high < 2.2


def test_bootstrap_needs_two_values():
    assert stats.bootstrap_ci_median([1.0]) is None


def test_constant_sample_has_a_zero_width_interval():
    assert stats.bootstrap_ci_median([5.0] * 6) == (5.0, 5.0)


def test_mann_whitney_textbook_example():
    # Conover, Practical Nonparametric Statistics (the example of scipy's
    # documentation): U = 17 for the first sample, exact two-sided p = 14/126.
    males = [19, 22, 16, 29, 24]
    females = [20, 11, 17, 12]
    result = mannwhitneyu(males, females, method="exact")
    assert result.statistic == 17
    assert result.pvalue == pytest.approx(14 / 126)
    assert compare_runs.mann_whitney_p(males, females) == \
        pytest.approx(14 / 126)


def test_complete_separation_reaches_the_smallest_exact_p():
    a, b = [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]
    assert compare_runs.mann_whitney_p(a, b) == pytest.approx(2 / 252)
    assert compare_runs.min_exact_p(5, 5) == pytest.approx(2 / 252)
    # Three against three can never reach p < 0.05.
    assert compare_runs.min_exact_p(3, 3) == pytest.approx(0.1)


def test_equal_samples_have_p_one():
    assert compare_runs.mann_whitney_p([3.0] * 4, [3.0] * 4) == 1.0


@pytest.mark.parametrize("num,den,verdict", [
    ([20, 21, 22, 23, 24], [10, 11, 12, 13, 14], "better"),
    ([10, 11, 12, 13, 14], [20, 21, 22, 23, 24], "worse"),
    ([10, 12, 14, 11, 13], [11, 13, 10, 12, 14], "no significant difference"),
    ([20, 21, 22], [10, 11, 12], "too few repetitions"),
    ([10, 12, 11], [11, 10, 12], "no significant difference"),
])
def test_verdicts(num, den, verdict):
    row = compare_runs.compare([float(x) for x in num],
                               [float(x) for x in den], "ops_per_s", 0.05)
    assert row["verdict"] == verdict
    assert row["ci_low"] <= row["ratio"] <= row["ci_high"]
    assert math.isclose(row["ratio"], np.median(num) / np.median(den))


def test_lower_is_better_for_memory():
    row = compare_runs.compare([1.0, 1.1, 1.2, 1.3, 1.4], [2.0, 2.1, 2.2, 2.3, 2.4],
                               "peak_rss_bytes", 0.05)
    assert row["verdict"] == "better"


def test_noisy_flag_and_remedy():
    row = compare_runs.compare([10.0, 20.0, 30.0, 15.0, 25.0], [20.0, 20.5, 19.5, 20.2, 19.8],
                               "ops_per_s", 0.05)
    assert row["noisy"]
    assert "--until-stable" in row["remedy"]


def test_holm_textbook_example():
    # Sorted p 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06,
    # 0.04; made monotone: 0.02, 0.03, 0.06, 0.06; back in the given order.
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([]) == []


def test_bootstrap_p_of_equal_estimates():
    # Identical distributions: no evidence of a difference; separated ones:
    # every bootstrap difference on one side, p = 0.
    same = stats.bootstrap_ratios([10.0, 11.0, 12.0], [5.0, 5.0, 5.0])
    other = stats.bootstrap_ratios([10.0, 11.0, 12.0], [5.0, 5.0, 5.0], seed=stats.BOOTSTRAP_SEED + 1)
    assert stats.bootstrap_p_equal(same, other) > 0.5
    higher = stats.bootstrap_ratios([20.0, 21.0, 22.0], [5.0, 5.0, 5.0])
    assert stats.bootstrap_p_equal(same, higher) == 0.0
    assert stats.bootstrap_p_equal(higher, same) == 0.0
