#!/usr/bin/python3
"""Throughput of each allocator and heap relative to a baseline, per workload.

One chart per workload: groups of bars (one group per heap, and thread count
when the run has several), one bar per process allocator in its fixed colour.
A bar is the ratio of the median throughput to the baseline's median (glibc on
malloc unless --baseline/--baseline-heap say otherwise); its error bar is the
95% bootstrap interval of that ratio (the baseline's own bar: its median's
interval over its median); n is the number of repetitions. Failed
series are marked "failed", never drawn as zero; noisy ones are hatched.
Without a baseline in the run, bars show absolute throughput.
"""

import sys

import numpy as np

import allocmark_style as style
import allocmark_tables as tables
from allocmark_stats import NOISY_CI_HALF_WIDTH

plt = style.plt


def _groups(rows):
    """[(threads, heap)] in order, and whether threads must be named."""
    keys = list(dict.fromkeys((r.series.threads, r.series.heap)
                              for r in rows))
    return keys, len({k[0] for k in keys}) > 1


def plot_workload(run, workload, rows, out_dir, colours):
    allocators = [a for a in run.allocators
                  if any(r.series.allocator == a for r in rows)]
    groups, name_threads = _groups(rows)
    relative = any(r.baseline is not None for r in rows)
    base = next((r for r in rows if r.baseline is not None), None)
    base_label = tables.baseline_label(base) if base else None

    width = 0.8 / max(1, len(allocators))
    fig_w = min(20, max(9, 1.5 + len(groups) * (0.6 * len(allocators) + 0.6)))
    fig, ax = plt.subplots(figsize=(fig_w, 6.2))
    by_key = {(r.series.threads, r.series.heap, r.series.allocator): r
              for r in rows}
    n_bars = len(groups) * len(allocators)
    small = 10 if n_bars <= 8 else 9 if n_bars <= 20 else 8
    top = 0.0
    any_noisy = False
    for i, allocator in enumerate(allocators):
        for g, (threads, heap) in enumerate(groups):
            row = by_key.get((threads, heap, allocator))
            if row is None:
                continue
            x = g - 0.4 + width * (i + 0.5)
            if row.failed or not row.throughput or \
                    (relative and row.speedup is None):
                ax.text(x, 0.02, "failed" if row.failed else "no data",
                        rotation=90, ha="center", va="bottom",
                        fontsize=small + 1, color=FAILED_TEXT,
                        fontweight="bold",
                        transform=ax.get_xaxis_transform())
                ax.plot([x], [0], marker="x", color=style.FAILED_COLOUR,
                        markersize=9, clip_on=False, zorder=4)
                continue
            if relative and row.is_baseline:
                # The baseline against itself: its own spread, not a ratio.
                value = 1.0
                t = row.throughput
                ci = (t.ci_low / t.median, t.ci_high / t.median) \
                    if t.ci_low is not None else None
            elif relative:
                value = row.speedup
                ci = row.speedup_ci
            else:
                value = row.throughput.median
                ci = (row.throughput.ci_low, row.throughput.ci_high) \
                    if row.throughput.ci_low is not None else None
            hatch = "//" if row.noisy else None
            any_noisy |= row.noisy
            ax.bar(x, value, width * 0.92, color=colours[allocator],
                   edgecolor="white" if not hatch else "#222222",
                   hatch=hatch, linewidth=0.6, zorder=2)
            hi = value
            if ci is not None:
                yerr = np.array([[max(0.0, value - ci[0])],
                                 [max(0.0, ci[1] - value)]])
                ax.errorbar(x, value, yerr=yerr, fmt="none",
                            ecolor="#222222", elinewidth=1.3, capsize=3,
                            zorder=3)
                hi = max(hi, ci[1])
            text = f"{value:.2f}×" if relative else style.format_rate(value)
            ax.annotate(f"{text}\nn={row.n_ok}", (x, hi),
                        xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=small,
                        linespacing=1.0)
            top = max(top, hi)
    if relative:
        ax.axhline(1.0, color=style.REFERENCE_COLOUR, linestyle="--",
                   linewidth=1.2, zorder=1)
        ax.set_ylabel(f"throughput relative to {base_label}\n"
                      "(×, higher is better)")
        title = f"{workload}: throughput relative to {base_label}"
    else:
        unit = run.ops_unit(rows[0].series.workload)
        ax.set_ylabel(f"throughput ({unit}/s, higher is better)")
        ax.yaxis.set_major_formatter(style.EngFormatter(sep=" "))
        title = f"{workload}: throughput (no baseline in this run)"
    ax.set_ylim(0, max(top * 1.22, 1.25 if relative else 1))
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([
        f"{heap}\n{threads} thread{'s' if threads != 1 else ''}"
        if name_threads else heap for threads, heap in groups])
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_xlabel("heap")
    ax.grid(axis="x", visible=False)
    ax.set_title(title, loc="left")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[a])
               for a in allocators]
    labels = list(allocators)
    if any_noisy:
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white",
                                     edgecolor="#222222", hatch="//"))
        labels.append(f"noisy (CI > ±{NOISY_CI_HALF_WIDTH:.0%})")
    ax.legend(handles, labels, title="process allocator",
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.text(1.02, 0.0, "bar: median of n\nrepetitions\nerror bar: 95%\n"
            "bootstrap interval", fontsize=11, color="#444444",
            transform=ax.transAxes, va="bottom", ha="left")
    return style.save_chart(fig, out_dir, "throughput", workload, title)


FAILED_TEXT = "#555555"


def plot(run, rows, out_dir, colours):
    """One throughput chart per workload; returns the Charts written."""
    return [plot_workload(run, workload, wrows, out_dir, colours)
            for workload, wrows in tables.rows_by_workload(rows).items()]


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
