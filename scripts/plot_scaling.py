#!/usr/bin/python3
"""Scaling: throughput against the number of threads, per workload.

Only for runs with several thread counts (nothing is written otherwise). One
chart per workload (heap malloc, or the workload's first heap): the median
throughput of each process allocator at each thread count, in its fixed
colour and marker, with the 95% bootstrap interval as error bars. Failed
points are left out of the line and marked with a grey x at the bottom.
"""

import sys

import allocmark_style as style

plt = style.plt


def plot_workload(run, workload, rows, out_dir, colours):
    heaps = list(dict.fromkeys(r.series.heap for r in rows))
    heap = "malloc" if "malloc" in heaps else heaps[0]
    rows = [r for r in rows if r.series.heap == heap]
    if len({r.series.threads for r in rows}) < 2:
        return None
    markers = style.allocator_markers(run.allocators)
    fig, ax = plt.subplots(figsize=(10, 6))
    for allocator in run.allocators:
        mine = sorted((r for r in rows if r.series.allocator == allocator),
                      key=lambda r: r.series.threads)
        if not mine:
            continue
        ok = [r for r in mine if r.throughput]
        xs = [r.series.threads for r in ok]
        ys = [r.throughput.median for r in ok]
        err = [[max(0.0, r.throughput.median - (r.throughput.ci_low or
                                                 r.throughput.median))
                for r in ok],
               [max(0.0, (r.throughput.ci_high or r.throughput.median)
                    - r.throughput.median) for r in ok]]
        ax.errorbar(xs, ys, yerr=err, color=colours[allocator],
                    marker=markers[allocator], markersize=7, linewidth=2,
                    capsize=3, label=allocator)
        for r in mine:
            if not r.throughput:
                ax.plot([r.series.threads], [0], marker="x",
                        color=style.FAILED_COLOUR, markersize=10,
                        clip_on=False)
    threads = sorted({r.series.threads for r in rows})
    ax.set_xscale("log", base=2)
    ax.set_xticks(threads)
    ax.set_xticklabels([str(t) for t in threads])
    ax.set_ylim(bottom=0)
    unit = run.ops_unit(rows[0].series.workload)
    ax.yaxis.set_major_formatter(style.EngFormatter(sep=" "))
    ax.set_xlabel("threads")
    ax.set_ylabel(f"throughput ({unit}/s, higher is better)")
    where = "" if heap == "malloc" else f", heap {heap}"
    title = f"{workload}: throughput against threads{where}"
    ax.set_title(title, loc="left")
    ax.legend(title="process allocator", loc="upper left",
              bbox_to_anchor=(1.0, 1.0), frameon=False)
    return style.save_chart(fig, out_dir, "scaling", workload, title)


def plot(run, rows, out_dir, colours):
    """Scaling charts when the run has several thread counts, else []."""
    if len(run.thread_counts) < 2:
        return []
    by_workload = {}
    for row in rows:
        by_workload.setdefault(row.series.workload_label, []).append(row)
    charts = []
    for workload, wrows in by_workload.items():
        chart = plot_workload(run, workload, wrows, out_dir, colours)
        if chart:
            charts.append(chart)
    return charts


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
