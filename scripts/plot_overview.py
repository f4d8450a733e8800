#!/usr/bin/python3
"""Overview of a run: every workload x allocator/heap relative to a baseline.

Two heatmaps side by side, one row per workload (and thread count when the run
has several), one column per heap and process allocator: time per operation
(1 / throughput) and peak RSS, each as the ratio of medians to the baseline
(glibc on malloc unless --baseline/--baseline-heap say otherwise). Below 1
(blue) is better, above 1 (orange) worse; the colour scale is logarithmic and
centred on 1. The last row is the geometric mean of each column over the
workloads it has a ratio for. Failed series read "failed", never a number.
"""

import math
import sys

import numpy as np
from matplotlib.colors import LogNorm

import allocmark_stats as stats
import allocmark_style as style

plt = style.plt

CMAP = "PuOr_r"  # diverging, colour-blind safe; orange = worse
MISSING_COLOUR = "#f2f2f2"


def _layout(run, rows):
    """Row keys (workload label, threads), column keys (heap, allocator)."""
    name_threads = len(run.thread_counts) > 1
    row_keys = list(dict.fromkeys(
        (r.series.workload_label, r.series.threads) for r in rows))
    heap_rank = {h: i for i, h in enumerate(run.heaps)}
    alloc_rank = {a: i for i, a in enumerate(run.allocators)}
    col_keys = sorted({(r.series.heap, r.series.allocator) for r in rows},
                      key=lambda k: (heap_rank[k[0]], alloc_rank[k[1]]))
    row_names = [f"{w} ({t} thr)" if name_threads else w
                 for w, t in row_keys]
    return row_keys, col_keys, row_names


def _matrix(rows, row_keys, col_keys, attr):
    """Ratios (nan where none) and a parallel grid of 'failed' flags."""
    values = np.full((len(row_keys), len(col_keys)), np.nan)
    failed = np.zeros(values.shape, dtype=bool)
    present = np.zeros(values.shape, dtype=bool)
    ri = {k: i for i, k in enumerate(row_keys)}
    ci = {k: i for i, k in enumerate(col_keys)}
    for r in rows:
        i = ri[(r.series.workload_label, r.series.threads)]
        j = ci[(r.series.heap, r.series.allocator)]
        present[i, j] = True
        failed[i, j] = r.failed
        value = getattr(r, attr)
        if value is not None and value > 0:
            values[i, j] = value
    return values, failed, present


def geometric_means(values):
    """Per column: geometric mean of its finite ratios, nan when none."""
    result = []
    for column in values.T:
        finite = [v for v in column if math.isfinite(v)]
        result.append(stats.geometric_mean(finite) if finite else math.nan)
    return np.array(result)


def _panel(ax, values, failed, present, row_names, col_keys, title, norm,
           fontsize):
    gmean = geometric_means(values)
    grid = np.vstack([values, gmean])
    masked = np.ma.masked_invalid(grid)
    cmap = plt.get_cmap(CMAP).copy()
    cmap.set_bad(MISSING_COLOUR)
    image = ax.imshow(masked, cmap=cmap, norm=norm, aspect="auto")
    n_rows = len(row_names)
    for i in range(grid.shape[0] if fontsize else 0):
        for j in range(grid.shape[1]):
            value = grid[i, j]
            weight = "bold" if i == n_rows else "normal"
            if i < n_rows and failed[i, j]:
                text, colour = "failed", "#444444"
            elif i < n_rows and not present[i, j]:
                text, colour = "", "black"
            elif not math.isfinite(value):
                text, colour = "–", "#666666"
            else:
                text = f"{value:.2f}"
                far = abs(math.log(value)) > 0.6 * math.log(norm.vmax)
                colour = "white" if far else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                    color=colour, fontweight=weight)
    ax.axhline(n_rows - 0.5, color="black", linewidth=2)
    ax.set_yticks(range(n_rows + 1))
    ax.set_yticklabels(row_names + ["geometric mean"])
    ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.set_xticks(range(len(col_keys)))
    ax.set_xticklabels([a for _, a in col_keys], rotation=35 if fontsize else 90,
                       ha="right", rotation_mode="anchor",
                       fontsize=min(12, max(fontsize, 8)))
    ax.tick_params(length=0)
    # Heaps as labelled groups of columns above the grid.
    start = 0
    for j in range(1, len(col_keys) + 1):
        if j == len(col_keys) or col_keys[j][0] != col_keys[start][0]:
            ax.text((start + j - 1) / 2, -0.62, col_keys[start][0],
                    ha="center", va="bottom", fontsize=12,
                    fontweight="bold")
            if j < len(col_keys):
                ax.axvline(j - 0.5, color="white", linewidth=4)
            start = j
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, loc="left", pad=26)
    return image


def plot(run, rows, out_dir, colours):
    """The overview heatmap of the run; returns [Chart] ([] without rows)."""
    del colours  # a heatmap encodes ratios, not allocators, in colour
    if not rows:
        return []
    row_keys, col_keys, row_names = _layout(run, rows)
    time_ratio, failed, present = _matrix(rows, row_keys, col_keys,
                                          "time_ratio")
    rss_ratio, _, _ = _matrix(rows, row_keys, col_keys, "rss_ratio")
    finite = [abs(math.log(v)) for v in np.concatenate(
        [time_ratio.ravel(), rss_ratio.ravel()]) if math.isfinite(v)]
    span = min(10.0, max(2.0, math.exp(max(finite)) if finite else 2.0))
    norm = LogNorm(vmin=1 / span, vmax=span)
    base = next((r for r in rows if r.baseline is not None), None)
    base_label = (base.baseline.allocator if base.baseline.heap == "malloc"
                  else f"{base.baseline.heap} on {base.baseline.allocator}"
                  ) if base else "baseline (none in this run)"

    # A column is 0.62 in wide, for a ratio in 10 pt; a run with every
    # allocator under every heap (about 90 columns) narrows them down to the
    # 30 in cap, the numbers shrink with them, and below 6 pt the columns
    # show colour alone (the report's tables have the numbers).
    width = min(30, max(11, 3.5 + 0.62 * len(col_keys)))
    fontsize = min(10.0, 10.0 * (width - 3.5) / len(col_keys) / 0.62)
    fontsize = fontsize if fontsize >= 6 else 0
    height = min(30, max(7, 3.2 + 2 * 0.45 * (len(row_keys) + 1)))
    fig, axes = plt.subplots(2, 1, figsize=(width, height),
                             layout="constrained")
    _panel(axes[0], time_ratio, failed, present, row_names, col_keys,
           "time per operation (1 / throughput)", norm, fontsize)
    image = _panel(axes[1], rss_ratio, failed, present, row_names, col_keys,
                   "peak RSS", norm, fontsize)
    bar = fig.colorbar(image, ax=axes, shrink=0.6, pad=0.01)
    bar.set_label(f"ratio to {base_label} (lower is better)")
    ticks = [t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10)
             if 1 / span <= t <= span]
    bar.set_ticks(ticks)
    bar.set_ticklabels([f"{t:g}×" for t in ticks])
    bar.ax.minorticks_off()
    title = f"Overview of run {run.run_id}: relative to {base_label}"
    fig.suptitle(title, x=0.01, ha="left")
    fig.supxlabel("ratio of medians over the repetitions, columns "
             "grouped by heap; last row: geometric mean per column; "
             "grey: no ratio (failed, or no baseline)", fontsize=11,
                  color="#444444")
    png, svg = style.save(fig, out_dir, "overview")
    return [style.Chart("overview", "", title, png, svg)]


if __name__ == "__main__":
    sys.exit(style.chart_cli(__doc__, plot))
