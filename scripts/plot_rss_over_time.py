#!/usr/bin/python3
"""Resident set over time, per workload: one line per process allocator.

For each workload (on the malloc heap, or its first heap when malloc did not
run), the first ok repetition of every allocator is drawn as RSS against time
since the timed region began, in the allocator's fixed colour. The dashed
black line is the live requested bytes (of the baseline allocator's
repetition): the gap between an allocator's line and it is what that
allocator holds beyond what the program asked for. RSS includes the process's
resident set before the timed region (baseline_rss_bytes).
"""

import sys

import allocmark_style as style
import allocmark_tables as tables
from matplotlib.ticker import MultipleLocator

plt = style.plt


def _heap(rows):
    heaps = list(dict.fromkeys(r.series.heap for r in rows))
    return "malloc" if "malloc" in heaps else heaps[0]


def plot_workload(run, workload, rows, out_dir, colours):
    """One RSS-over-time chart, or None when no series has samples."""
    heap = _heap(rows)
    threads = min(r.series.threads for r in rows)
    chosen = [r for r in rows
              if r.series.heap == heap and r.series.threads == threads]
    markers = style.allocator_markers(run.allocators)
    fig, ax = plt.subplots(figsize=(10, 6))
    reference = None
    drawn = []
    for row in chosen:
        cell = next(iter(row.series.ok_cells), None)
        if cell is None:
            continue
        data = run.load_timeseries(cell)
        if not data["t_s"]:
            continue
        allocator = row.series.allocator
        ax.plot(data["t_s"], data["rss_bytes"], color=colours[allocator],
                marker=markers[allocator], markevery=max(1, len(
                    data["t_s"]) // 12), markersize=6, linewidth=2,
                label=allocator)
        drawn.append(allocator)
        if reference is None or row.is_baseline:
            reference = data
    if not drawn:
        plt.close(fig)
        return None
    ax.plot(reference["t_s"], reference["live_bytes"], color="black",
            linestyle="--", linewidth=2, label="live requested bytes")
    ax.yaxis.set_major_formatter(style.BYTES_FORMATTER)
    ax.xaxis.set_major_formatter(style.seconds_formatter())
    ax.set_ylim(bottom=0)
    ax.set_xlim(left=0)
    step = 1.0
    while ax.get_ylim()[1] / step > 8:
        step *= 2  # binary steps, so ticks read 2 MiB, 4 MiB, ...
    ax.yaxis.set_major_locator(MultipleLocator(step))
    ax.set_xlabel("time since the timed region began (s)")
    ax.set_ylabel("resident set size (bytes)")
    where = "" if heap == "malloc" else f", heap {heap}"
    title = f"{workload}: resident set over time{where}"
    ax.set_title(title, loc="left")
    ax.legend(title="process allocator", loc="upper left",
              bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.text(1.01, 0.0, "first ok repetition\nof each allocator;\n"
            f"{threads} thread{'s' if threads != 1 else ''}", fontsize=11,
            color="#444444", transform=ax.transAxes, va="bottom")
    png, svg = style.save(fig, out_dir, f"rss_{style.safe_name(workload)}")
    return style.Chart("rss", workload, title, png, svg)


def plot(run, rows, out_dir, colours):
    """One chart per workload that has time series; returns the Charts."""
    charts = []
    for workload, wrows in tables.rows_by_workload(rows).items():
        chart = plot_workload(run, workload, wrows, out_dir, colours)
        if chart:
            charts.append(chart)
    return charts


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
