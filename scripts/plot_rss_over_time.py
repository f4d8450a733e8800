#!/usr/bin/python3
"""Resident set size over the timed region, per workload and allocator.

One chart per workload, one panel per heap (and thread count), one line per
process allocator: the resident set of its representative repetition (the
one whose throughput is nearest the median). The dashed grey line is the
workload's live requested bytes, the same request sequence under every
allocator: the gap between it and a line is memory the allocator holds
beyond what the program asked for.
"""

import math
import sys

import allocmark_style as style
import allocmark_tables as tables

plt = style.plt


def representative(series):
    """The ok cell whose throughput is nearest the median (lowest rep on a
    tie), or None."""
    cells = [c for c in series.ok_cells if c.timeseries]
    if not cells:
        return None
    rates = sorted(c.metric("ops_per_s") or 0.0 for c in cells)
    mid = rates[(len(rates) - 1) // 2]
    return min(cells, key=lambda c: (abs((c.metric("ops_per_s") or 0.0)
                                         - mid), c.rep))


def panel_grid(panels):
    """(rows, columns) for panels keyed (threads, heap): a row per thread
    count and a column per heap when both vary and fit, else filled in
    reading order."""
    heaps = len({heap for _, heap in panels})
    threads = len({t for t, _ in panels})
    if threads > 1 and heaps <= 4 and len(panels) == heaps * threads:
        return threads, heaps
    count = len(panels)
    cols = 1 if count == 1 else 2 if count <= 6 else 3
    return math.ceil(count / cols), cols


def plot_workload(run, workload, rows, out_dir, colours, markers):
    panels = list(dict.fromkeys((r.series.threads, r.series.heap)
                                for r in rows))
    name_threads = len({p[0] for p in panels}) > 1
    nrows, ncols = panel_grid(panels)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(min(7.0, 14.0 / ncols) * ncols + 2.2,
                                      4.4 * nrows + 0.6))
    handles = {}
    for ax, (threads, heap) in zip(axes.flat, panels):
        prows = [r for r in rows if (r.series.threads, r.series.heap)
                 == (threads, heap)]
        live_drawn = False
        notes = []
        for row in prows:
            series = row.series
            cell = representative(series)
            data = run.load_timeseries(cell) if cell else None
            if not data or not data["t_s"]:
                notes.append(f"{series.allocator}: "
                             + ("failed" if series.failed else "no samples"))
                continue
            line, = ax.plot(data["t_s"], data["rss_bytes"],
                            color=colours[series.allocator],
                            marker=markers[series.allocator],
                            markevery=max(1, len(data["t_s"]) // 8),
                            markersize=6, linewidth=2.0,
                            drawstyle="steps-post")
            handles.setdefault(series.allocator, line)
            if not live_drawn:
                live, = ax.plot(data["t_s"], data["live_bytes"],
                                color=style.REFERENCE_COLOUR,
                                linestyle="--", linewidth=1.8,
                                drawstyle="steps-post", zorder=5)
                handles.setdefault("live requested bytes", live)
                live_drawn = True
        if notes:
            ax.text(0.98, 0.04, "\n".join(notes), transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=11,
                    color="#555555")
        title = heap + (f", {threads} thread{'s' * (threads != 1)}"
                        if name_threads else "")
        ax.set_title(f"heap: {title}", loc="left", fontsize=13)
        ax.set_xlabel("time since the timed region began")
        ax.set_ylabel("bytes")
        ax.xaxis.set_major_locator(style.MaxNLocator(5))
        ax.xaxis.set_major_formatter(style.seconds_formatter())
        style.bytes_axis(ax.yaxis)
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=0)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    title = f"{workload}: resident set over time"
    fig.suptitle(title, x=0.01, ha="left")
    order = [a for a in run.allocators if a in handles]
    labels = order + (["live requested bytes"]
                      if "live requested bytes" in handles else [])
    style.panels_legend(fig, [handles[k] for k in labels],
                        [f"RSS, {k}" if k in order else k for k in labels])
    return style.save_chart(fig, out_dir, "rss", workload, title)


def plot(run, rows, out_dir, colours):
    """One RSS-over-time chart per workload; returns the Charts written."""
    markers = style.allocator_markers(run.allocators)
    return [plot_workload(run, workload, wrows, out_dir, colours, markers)
            for workload, wrows in tables.rows_by_workload(rows).items()]


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
