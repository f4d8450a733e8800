"""Statistics of repeated measurements: medians, spread, bootstrap intervals.

A library for the report and chart scripts (and for run comparison). Every
function takes plain sequences of numbers and is deterministic: the bootstrap
draws from a generator with a fixed seed, so one run renders the same figures
every time.

Noisy rule: a series of repetitions is *noisy* when the half-width of the 95%
bootstrap confidence interval of its median exceeds ``NOISY_CI_HALF_WIDTH``
(10%) of the median, or its interquartile range exceeds ``NOISY_REL_IQR``
(20%) of the median. With one repetition the spread is unknown and a series is
never called noisy; callers say "n=1" instead. The remedy printed with the
flag is ``NOISY_REMEDY``.
"""

import math
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_RESAMPLES = 4000
BOOTSTRAP_SEED = 20240601
CONFIDENCE = 0.95
NOISY_CI_HALF_WIDTH = 0.10
NOISY_REL_IQR = 0.20
NOISY_REMEDY = ("more repetitions (--reps), a quieter machine, or pinned "
                "cores narrow it")


@dataclass(frozen=True)
class Summary:
    """Median and spread of one metric over repetitions.

    ``ci_low``/``ci_high`` are the 95% bootstrap interval of the median, None
    when n < 2. ``noisy`` follows the rule in the module docstring.
    """

    n: int
    median: float
    q1: float
    q3: float
    ci_low: float
    ci_high: float
    noisy: bool

    @property
    def rel_ci_half_width(self):
        if self.ci_low is None or not self.median:
            return None
        return (self.ci_high - self.ci_low) / 2 / abs(self.median)

    @property
    def rel_iqr(self):
        return (self.q3 - self.q1) / abs(self.median) if self.median else None


def _array(values):
    x = np.asarray(list(values), dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError("need at least one value")
    return x


def median(values):
    """Median of a non-empty sequence."""
    return float(np.median(_array(values)))


def quartiles(values):
    """(q1, q3) by linear interpolation (numpy's default)."""
    q1, q3 = np.percentile(_array(values), [25, 75])
    return float(q1), float(q3)


def iqr(values):
    """Interquartile range q3 - q1."""
    q1, q3 = quartiles(values)
    return q3 - q1


def _bootstrap_medians(x, rng):
    idx = rng.integers(0, x.size, size=(BOOTSTRAP_RESAMPLES, x.size))
    return np.median(x[idx], axis=1)


def _interval(samples):
    alpha = (1 - CONFIDENCE) / 2
    low, high = np.percentile(samples, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)


def bootstrap_ci_median(values, seed=BOOTSTRAP_SEED):
    """95% percentile-bootstrap interval (low, high) of the median, or None
    for fewer than two values."""
    x = _array(values)
    if x.size < 2:
        return None
    rng = np.random.default_rng(seed)
    return _interval(_bootstrap_medians(x, rng))


def ratio_of_medians(numerator, denominator):
    return median(numerator) / median(denominator)


def bootstrap_ratios(numerator, denominator, seed=BOOTSTRAP_SEED):
    """BOOTSTRAP_RESAMPLES resampled values of
    median(numerator) / median(denominator), each side resampled
    independently; None when either side has fewer than two values. The
    denominator must be positive."""
    a = _array(numerator)
    b = _array(denominator)
    if a.size < 2 or b.size < 2:
        return None
    if np.any(b <= 0):
        raise ValueError("denominator values must be positive")
    rng = np.random.default_rng(seed)
    return _bootstrap_medians(a, rng) / _bootstrap_medians(b, rng)


def bootstrap_ci_ratio(numerator, denominator, seed=BOOTSTRAP_SEED):
    """95% percentile-bootstrap interval (low, high) of
    median(numerator) / median(denominator) (bootstrap_ratios); None when
    either side has fewer than two values."""
    ratios = bootstrap_ratios(numerator, denominator, seed)
    return None if ratios is None else _interval(ratios)


def bootstrap_p_equal(samples_a, samples_b):
    """Two-sided bootstrap p-value of "the two estimates are equal", from
    independent bootstrap samples of each: twice the smaller tail of
    samples_b - samples_a around zero, at most 1."""
    d = np.asarray(samples_b, dtype=float) - np.asarray(samples_a, dtype=float)
    tail = min(float(np.mean(d <= 0)), float(np.mean(d >= 0)))
    return min(1.0, 2 * tail)


def holm(p_values):
    """Holm-Bonferroni adjusted p-values, in the order given: a family of m
    tests keeps its error rate at alpha when each adjusted p is compared
    with alpha."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def is_noisy(med, q1, q3, ci):
    """The noisy rule of the module docstring."""
    if ci is None or not med:
        return False
    half = (ci[1] - ci[0]) / 2 / abs(med)
    return half > NOISY_CI_HALF_WIDTH or (q3 - q1) / abs(med) > NOISY_REL_IQR


def summarise(values, seed=BOOTSTRAP_SEED):
    """Summary of a non-empty sequence of repetitions."""
    x = _array(values)
    med = float(np.median(x))
    q1, q3 = quartiles(x)
    ci = bootstrap_ci_median(x, seed)
    return Summary(n=int(x.size), median=med, q1=q1, q3=q3,
                   ci_low=ci[0] if ci else None,
                   ci_high=ci[1] if ci else None,
                   noisy=is_noisy(med, q1, q3, ci))


def geometric_mean(values):
    """Geometric mean of positive numbers; None for an empty sequence."""
    x = [v for v in values if v is not None]
    if not x:
        return None
    if any(v <= 0 for v in x):
        raise ValueError("geometric mean needs positive values")
    return math.exp(sum(math.log(v) for v in x) / len(x))
