#!/usr/bin/python3
"""Fragmentation: peak resident above baseline / peak live bytes.

One chart per heap: groups of bars (one group per workload), one bar per
process allocator in its fixed colour, the median over the repetitions of
the headline fragmentation of results/README.md: the resident set's peak
above its value when the timed region began, over the peak of the bytes
the workload held live. The process's own footprint (binary, libraries,
the workload's tables) is in the baseline and left out, so the figure is
the heap's. 1 means the resident set grew by what was asked for. The y axis
is logarithmic because the ratio spans orders of magnitude across
workloads. Failed series are marked "failed", never zero.
"""

import sys

import numpy as np

import allocmark_style as style
from allocmark_tables import FRAGMENTATION_LABEL

plt = style.plt


def _times(value, _pos=None):
    return f"{value:,.0f}×" if value >= 1 else f"{value:g}×"


def plot_heap(run, heap, rows, out_dir, colours):
    rows = [r for r in rows if r.series.heap == heap]
    groups = list(dict.fromkeys(
        (r.series.workload_label, r.series.threads) for r in rows))
    name_threads = len({t for _, t in groups}) > 1
    allocators = [a for a in run.allocators
                  if any(r.series.allocator == a for r in rows)]
    width = 0.8 / max(1, len(allocators))
    by_key = {(r.series.workload_label, r.series.threads,
               r.series.allocator): r for r in rows}
    fig_w = min(22, max(9, 2 + len(groups) * (0.35 * len(allocators) + 0.5)))
    fig, ax = plt.subplots(figsize=(fig_w, 6.2))
    top, bottom = 1.0, 1.0
    unmeasured = set()
    for g, (workload, threads) in enumerate(groups):
        grows = [r for r in rows if (r.series.workload_label,
                                     r.series.threads) == (workload, threads)]
        if all(r.fragmentation is None and not r.failed for r in grows):
            unmeasured.add((workload, threads))
            ax.text(g, 0.03, "not measured", rotation=90, ha="center",
                    va="bottom", fontsize=10, color="#555555",
                    transform=ax.get_xaxis_transform())
    for i, allocator in enumerate(allocators):
        for g, (workload, threads) in enumerate(groups):
            row = by_key.get((workload, threads, allocator))
            if row is None or (workload, threads) in unmeasured:
                continue
            x = g - 0.4 + width * (i + 0.5)
            if row.fragmentation is None:
                ax.text(x, 0.03, "failed" if row.failed else "not measured",
                        rotation=90, ha="center", va="bottom", fontsize=9,
                        color="#555555", transform=ax.get_xaxis_transform())
                continue
            f = row.fragmentation
            ax.bar(x, f.median, width * 0.92, color=colours[allocator],
                   edgecolor="white", linewidth=0.6, zorder=2)
            if f.ci_low is not None:
                ax.errorbar(x, f.median, yerr=np.array(
                    [[max(0.0, f.median - f.ci_low)],
                     [max(0.0, f.ci_high - f.median)]]), fmt="none",
                    ecolor="#222222", elinewidth=1.2, capsize=2, zorder=3)
            top = max(top, f.ci_high or f.median)
            bottom = min(bottom, f.ci_low or f.median)
    ax.set_yscale("log")
    ax.set_ylim(bottom * 0.8, top * 3)
    ax.axhline(1.0, color=style.REFERENCE_COLOUR, linestyle="--",
               linewidth=1.2, zorder=1)
    ax.yaxis.set_major_formatter(style.FuncFormatter(_times))
    # Most headlines lie within a decade of 1: label the 2s and 5s too.
    ax.yaxis.set_minor_formatter(style.FuncFormatter(
        lambda v, p: _times(v, p) if f"{v:.0e}"[0] in "25" else ""))
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{w} · {t} thr" if name_threads else w
                        for w, t in groups], rotation=30, ha="right",
                       rotation_mode="anchor")
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.grid(axis="x", visible=False)
    ax.set_ylabel(f"{FRAGMENTATION_LABEL}\n(×, log scale, lower is "
                  "better)")
    where = "" if heap == "malloc" else f" (heap {heap})"
    title = f"Fragmentation: {FRAGMENTATION_LABEL}{where}"
    ax.set_title(title, loc="left")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[a])
               for a in allocators]
    ax.legend(handles, allocators, title="process allocator",
              loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    png, svg = style.save(fig, out_dir,
                          f"fragmentation_{style.safe_name(heap)}")
    return style.Chart("fragmentation", "", title, png, svg)


def plot(run, rows, out_dir, colours):
    """One fragmentation chart per heap; returns the Charts written."""
    heaps = [h for h in run.heaps if any(r.series.heap == h for r in rows)]
    return [plot_heap(run, h, rows, out_dir, colours) for h in heaps]


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
