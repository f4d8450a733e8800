#!/usr/bin/python3
"""Latency percentiles (p50, p90, p99, p99.9, max) per allocator.

One chart per workload that samples latency (others have none), one panel
per heap (and thread count), one line per process allocator in its fixed
colour and marker: the median over repetitions of each percentile, with its
95% bootstrap interval. For frame_arena the figures are frame times, for
producer_consumer message latencies; otherwise the sampled operation's.
Log scale: the tail is the point.
"""

import sys

import numpy as np

import allocmark_style as style
import allocmark_tables as tables
from allocmark_results import PERCENTILES
from plot_rss_over_time import panel_grid

plt = style.plt

# What a workload's p50_ns.. measure, where it is not one operation.
MEASURED = {"frame_arena": "frame time",
            "producer_consumer": "message latency"}


def measured(run, workload):
    if run.ops_unit(workload) == "frames":
        return "frame time"
    return MEASURED.get(workload, "operation latency")


def plot_workload(run, workload, rows, out_dir, colours, markers):
    panels = list(dict.fromkeys((r.series.threads, r.series.heap)
                                for r in rows))
    name_threads = len({p[0] for p in panels}) > 1
    nrows, ncols = panel_grid(panels)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, sharey=True,
                             figsize=(min(6.5, 14.0 / ncols) * ncols + 2.2,
                                      4.4 * nrows + 0.6))
    what = measured(run, rows[0].series.workload)
    handles = {}
    x_all = np.arange(len(PERCENTILES))
    for ax, (threads, heap) in zip(axes.flat, panels):
        prows = [r for r in rows if (r.series.threads, r.series.heap)
                 == (threads, heap)]
        n = len(prows)
        notes = []
        for i, row in enumerate(prows):
            allocator = row.series.allocator
            points = [(k, row.latency.get(m)) for k, (m, _)
                      in enumerate(PERCENTILES)]
            points = [(k, s) for k, s in points if s is not None]
            if not points:
                notes.append(f"{allocator}: "
                             + ("failed" if row.failed else "no samples"))
                continue
            # Spread the lines a little so error bars do not hide each other.
            x = np.array([k for k, _ in points]) + (i - (n - 1) / 2) * 0.06
            y = np.array([s.median for _, s in points]) * 1e-9
            low = np.array([s.ci_low if s.ci_low is not None else s.median
                            for _, s in points]) * 1e-9
            high = np.array([s.ci_high if s.ci_high is not None
                             else s.median for _, s in points]) * 1e-9
            bars = ax.errorbar(x, y, yerr=[y - low, high - y],
                               color=colours[allocator],
                               marker=markers[allocator], markersize=7,
                               linewidth=2, capsize=3)
            handles.setdefault(allocator, bars)
        if notes:
            ax.text(0.02, 0.96, "\n".join(notes), transform=ax.transAxes,
                    ha="left", va="top", fontsize=11, color="#555555")
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(style.seconds_formatter())
        ax.set_xticks(x_all)
        ax.set_xticklabels([label for _, label in PERCENTILES])
        ax.set_xlabel("percentile")
        ax.set_ylabel(f"{what} (log scale)")
        title = heap + (f", {threads} thread{'s' * (threads != 1)}"
                        if name_threads else "")
        ax.set_title(f"heap: {title}", loc="left", fontsize=13)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    title = f"{workload}: {what} percentiles (lower is better)"
    fig.suptitle(title, x=0.01, ha="left")
    order = [a for a in run.allocators if a in handles]
    style.panels_legend(fig, [handles[a] for a in order], order,
                        title="process allocator")
    return style.save_chart(fig, out_dir, "latency", workload, title)


def plot(run, rows, out_dir, colours):
    """A latency chart per workload that has latency percentiles."""
    markers = style.allocator_markers(run.allocators)
    charts = []
    for workload, wrows in tables.rows_by_workload(rows).items():
        if any(r.latency for r in wrows):
            charts.append(plot_workload(run, workload, wrows, out_dir,
                                        colours, markers))
    return charts


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
