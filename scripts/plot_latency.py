#!/usr/bin/python3
"""Latency percentiles per allocator, for the workloads that sample latency.

One chart per workload with latency samples, one panel per heap: p50, p90,
p99, p99.9 and the maximum of the sampled operations (median over the
repetitions), one line per process allocator in its fixed colour and marker,
on a logarithmic time axis. For frame_arena (ops_unit "frames") the samples
are whole frames, so the chart shows frame times. Series without samples
(failed ones included) are left out and named in the note under the chart.
"""

import sys

import allocmark_style as style
import allocmark_tables as tables
from allocmark_results import PERCENTILES

plt = style.plt


def plot_workload(run, workload, rows, out_dir, colours):
    rows = [r for r in rows if r.latency]
    if not rows:
        return None
    heaps = list(dict.fromkeys(r.series.heap for r in rows))
    markers = style.allocator_markers(run.allocators)
    ncols = min(3, len(heaps))
    nrows = (len(heaps) + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols + 2.5,
                                                    4.6 * nrows),
                             sharey=True, squeeze=False)
    frames = run.ops_unit(rows[0].series.workload) == "frames"
    what = "frame time" if frames else "operation latency"
    seen = {}
    for ax, heap in zip(axes.flat, heaps):
        for row in rows:
            if row.series.heap != heap:
                continue
            allocator = row.series.allocator
            names = [label for metric, label in PERCENTILES
                     if metric in row.latency]
            values = [row.latency[metric].median * 1e-9
                      for metric, _ in PERCENTILES if metric in row.latency]
            line, = ax.plot(names, values, color=colours[allocator],
                            marker=markers[allocator], markersize=7,
                            linewidth=2, label=allocator)
            seen.setdefault(allocator, line)
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(style.seconds_formatter())
        ax.set_title(f"heap {heap}", loc="left", fontsize=13)
        ax.set_xlabel("percentile")
    for ax in list(axes.flat)[len(heaps):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{what} (s, log scale)")
    title = f"{workload}: {what} percentiles"
    fig.suptitle(title, x=0.01, ha="left")
    fig.legend(list(seen.values()), list(seen.keys()),
               title="process allocator", loc="upper left",
               bbox_to_anchor=(1.0, 0.9), frameon=False)
    fig.tight_layout()
    png, svg = style.save(fig, out_dir,
                          f"latency_{style.safe_name(workload)}")
    return style.Chart("latency", workload, title, png, svg)


def plot(run, rows, out_dir, colours):
    """One latency chart per workload with samples; returns the Charts."""
    charts = []
    for workload, wrows in tables.rows_by_workload(rows).items():
        chart = plot_workload(run, workload, wrows, out_dir, colours)
        if chart:
            charts.append(chart)
    return charts


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
