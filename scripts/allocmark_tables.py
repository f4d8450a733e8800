"""Per-series figures of a run: what the charts, report and summary show.

For every Series of a run (one workload, params, threads, heap, allocator)
:func:`build_rows` computes the median and bootstrap interval of each metric
over its ok repetitions, and the ratio to the baseline series of the same
workload, params and thread count: the process allocator ``--baseline``
(glibc) on the heap ``--baseline-heap`` (malloc), the one rule of every ratio
(allocmark_results.baseline_series). Where that series did not run or has no
ok repetition, the group has no baseline and its ratios are None (charts then
show absolute figures and say why).

Fragmentation is the headline of results/README.md, peak resident above
baseline / peak live bytes (``FRAGMENTATION_LABEL``); the allocator's shares
of the timed region (``--callgrind``: instructions, ``--perf``: time) are
measured in rep 0 only, so a row carries the one value, or None.
"""

from dataclasses import dataclass, field

import allocmark_stats as stats
from allocmark_results import (BASELINE_ALLOCATOR, BASELINE_HEAP, MEANINGS,
                               PERCENTILES, baseline_series, figure_name,
                               ratio_group, series_label)

DEFAULT_BASELINE = BASELINE_ALLOCATOR
DEFAULT_BASELINE_HEAP = BASELINE_HEAP
# The figures of harness/figures.json the rows show.
THROUGHPUT = figure_name("ops_per_s")
PEAK_RSS = figure_name("peak_rss_bytes")
PEAK_LIVE = figure_name("peak_live_bytes")
FRAGMENTATION = figure_name("fragmentation")
INSTRUCTION_SHARE = figure_name("allocator_instruction_share")
TIME_SHARE = figure_name("allocator_time_share")
FRAGMENTATION_LABEL = MEANINGS[FRAGMENTATION]
# Below this share of the timed region in the allocator, a workload measures
# its own code more than the allocator.
LOW_SHARE = 0.5
LOW_SHARE_NOTE = (f"Cells below {LOW_SHARE:.0%} in the allocator spend most "
                  "of their time outside it: their ratios understate "
                  "allocator differences.")


@dataclass
class Row:
    """One series with its figures. Summaries are None when no ok repetition
    reported the metric; ratios are None without a baseline."""

    series: object
    baseline: object = None
    throughput: object = None
    speedup: float = None
    speedup_ci: tuple = None
    time_ratio: float = None
    peak_rss: object = None
    rss_ratio: float = None
    fragmentation: object = None
    instruction_share: float = None
    time_share: float = None
    latency: dict = field(default_factory=dict)

    @property
    def failed(self):
        return self.series.failed

    @property
    def noisy(self):
        return bool(self.throughput and self.throughput.noisy)

    @property
    def is_baseline(self):
        return self.baseline is self.series

    @property
    def n_ok(self):
        return len(self.series.ok_cells)

    @property
    def n_total(self):
        return len(self.series.cells)


group_key = ratio_group


def find_baseline(candidates, allocator, heap):
    """The baseline among ``candidates`` (series of one group_key) when it
    has an ok repetition, else None."""
    base = baseline_series(candidates, allocator, heap)
    return base if base is not None and base.values(THROUGHPUT) else None


def _summary(series, metric):
    values = series.values(metric)
    return stats.summarise(values) if values else None


def _fragmentation(series):
    """Summary of the headline fragmentation (peak resident above baseline
    / peak live bytes) over the repetitions that know their live bytes (a
    program run from outside reports 0: not measured)."""
    values = [c.metrics[FRAGMENTATION] for c in series.ok_cells
              if c.metrics.get(FRAGMENTATION, 0) > 0
              and c.metrics.get(PEAK_LIVE, 0) > 0]
    return stats.summarise(values) if values else None


def build_rows(run, baseline=DEFAULT_BASELINE,
               baseline_heap=DEFAULT_BASELINE_HEAP):
    """Rows for every series of ``run``, in the run's order."""
    all_series = run.series()
    groups = {}
    for s in all_series:
        groups.setdefault(group_key(s), []).append(s)
    rows = []
    for s in all_series:
        base = find_baseline(groups[group_key(s)], baseline, baseline_heap)
        row = Row(series=s, baseline=base)
        row.throughput = _summary(s, THROUGHPUT)
        row.peak_rss = _summary(s, PEAK_RSS)
        row.fragmentation = _fragmentation(s)
        row.instruction_share = s.median(INSTRUCTION_SHARE)
        row.time_share = s.median(TIME_SHARE)
        for metric, _ in PERCENTILES:
            summary = _summary(s, metric)
            if summary:
                row.latency[metric] = summary
        if base is not None and row.throughput:
            ours, theirs = s.values(THROUGHPUT), base.values(THROUGHPUT)
            row.speedup = stats.ratio_of_medians(ours, theirs)
            row.speedup_ci = stats.bootstrap_ci_ratio(ours, theirs)
            row.time_ratio = 1 / row.speedup if row.speedup else None
        if base is not None and row.peak_rss:
            theirs = base.values(PEAK_RSS)
            if theirs:
                row.rss_ratio = stats.ratio_of_medians(
                    s.values(PEAK_RSS), theirs)
        rows.append(row)
    return rows


def rows_by_workload(rows):
    """{workload label: [rows]} in the run's order."""
    result = {}
    for row in rows:
        result.setdefault(row.series.workload_label, []).append(row)
    return result


def baseline_label(row):
    if row.baseline is None:
        return None
    return series_label(row.baseline.heap, row.baseline.allocator)


def has_shares(rows):
    """True when some row has the allocator's share measured."""
    return any(r.instruction_share is not None or r.time_share is not None
               for r in rows)


def format_share(value):
    """A share as a whole percentage; "-" when not measured."""
    return "-" if value is None else f"{value:.0%}"
