"""The look shared by every allocmark chart: palette, fonts, file output.

One colour per process allocator, the same in every chart of every run. The
four the project is about take the first Okabe-Ito colours (Okabe & Ito 2008),
which stay distinct under the common colour-vision deficiencies; the other
allocators of allocmark's table take the rest of Okabe-Ito and Paul Tol's
"muted" scheme (also colour-blind safe), so a run with every allocator
(`--allocators all`, about fifteen) has no two alike. A variant of a family
(mimalloc-3.4.3, scudo-16) takes a colour of its own, not a shade of its
family's. Others (user libraries) take the colours no allocator of the run
uses, in the run's order. Each allocator also has its own marker, so lines
stay apart in greyscale. Heaps are told apart by position (bar groups) or
panel, never by colour alone.
"""

import math
import os
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import (EngFormatter, FuncFormatter,  # noqa: E402
                               MaxNLocator)

OKABE_ITO = {
    "blue": "#0072B2", "vermillion": "#D55E00", "bluish green": "#009E73",
    "orange": "#E69F00", "reddish purple": "#CC79A7", "sky blue": "#56B4E9",
    "yellow": "#F0E442", "black": "#000000",
}
TOL_MUTED = {
    "indigo": "#332288", "cyan": "#88CCEE", "teal": "#44AA99",
    "green": "#117733", "olive": "#999933", "sand": "#DDCC77",
    "rose": "#CC6677", "wine": "#882255", "purple": "#AA4499",
}
FIXED_COLOURS = {
    "glibc": OKABE_ITO["blue"],
    "jemalloc": OKABE_ITO["vermillion"],
    "tcmalloc": OKABE_ITO["bluish green"],
    "mimalloc": OKABE_ITO["orange"],
    "tcmalloc-full": TOL_MUTED["green"],
    "tbbmalloc": TOL_MUTED["indigo"],
    "scudo-14": TOL_MUTED["rose"],
    "scudo-16": TOL_MUTED["purple"],
    "mimalloc-2.4.1": TOL_MUTED["sand"],
    "mimalloc-3.4.3": TOL_MUTED["olive"],
    "jemalloc-5.3.1": TOL_MUTED["wine"],
    "tcmalloc-2.18.1": TOL_MUTED["teal"],
    "snmalloc": OKABE_ITO["reddish purple"],
    "rpmalloc": OKABE_ITO["sky blue"],
    "hardened_malloc": OKABE_ITO["black"],
}
SPARE_COLOURS = [TOL_MUTED["cyan"], OKABE_ITO["yellow"], "#888888", "#5f3c1a"]
FIXED_MARKERS = {"glibc": "o", "jemalloc": "s", "tcmalloc": "^",
                 "mimalloc": "D", "tcmalloc-full": "v", "tbbmalloc": "P",
                 "scudo-14": "X", "scudo-16": "*", "mimalloc-2.4.1": "h",
                 "mimalloc-3.4.3": "<", "jemalloc-5.3.1": ">",
                 "tcmalloc-2.18.1": "p", "snmalloc": "d", "rpmalloc": "H",
                 "hardened_malloc": "8"}
SPARE_MARKERS = ["1", "2", "3", "4", "+", "x"]
FAILED_COLOUR = "#8c8c8c"
REFERENCE_COLOUR = "#333333"
DPI = 150


@dataclass
class Chart:
    """A rendered chart: what it shows and where its files are."""

    kind: str
    workload: str
    title: str
    png: str
    svg: str


def apply_style():
    """Fonts and sizes readable on a slide; text stays text in SVG."""
    plt.rcParams.update({
        "font.size": 13,
        "axes.titlesize": 15,
        "axes.titleweight": "bold",
        "axes.labelsize": 13,
        "xtick.labelsize": 12,
        "ytick.labelsize": 12,
        "legend.fontsize": 12,
        "legend.title_fontsize": 12,
        "figure.titlesize": 16,
        "figure.titleweight": "bold",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "grid.linewidth": 0.8,
        "svg.fonttype": "none",
        "savefig.bbox": "tight",
        "savefig.pad_inches": 0.15,
    })


def _assign(allocators, fixed, spare):
    """{allocator: style}: the fixed ones, then the spare styles no allocator
    of the run uses, in the run's order (cycling only past the spares)."""
    styles = dict(fixed)
    taken = {fixed[name] for name in allocators if name in fixed}
    free = [s for s in spare if s not in taken] or list(spare)
    unnamed = [name for name in allocators if name not in styles]
    unused = [s for s in fixed.values() if s not in taken and s not in free]
    pool = free + unused
    for i, name in enumerate(unnamed):
        styles[name] = pool[i % len(pool)]
    return styles


def allocator_colours(allocators):
    """{allocator: colour} for the names of a run, stable across runs."""
    return _assign(allocators, FIXED_COLOURS, SPARE_COLOURS)


def allocator_markers(allocators):
    return _assign(allocators, FIXED_MARKERS, SPARE_MARKERS)


def save(fig, out_dir, name):
    """Write ``name``.png and ``name``.svg into out_dir; return the paths."""
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, f"{name}.png")
    svg = os.path.join(out_dir, f"{name}.svg")
    fig.savefig(png, dpi=DPI)
    fig.savefig(svg)
    plt.close(fig)
    return png, svg


def save_chart(fig, out_dir, kind, workload, title):
    """Save a chart of one kind for one workload ("" for a run-wide one) as
    KIND_WORKLOAD.png and .svg; return its Chart."""
    name = f"{kind}_{safe_name(workload)}" if workload else kind
    png, svg = save(fig, out_dir, name)
    return Chart(kind, workload, title, png, svg)


def panels_legend(fig, handles, labels, title=None):
    """The legend of a grid of panels, right of them, and the final layout."""
    fig.legend(handles, labels, title=title, loc="upper left",
               bbox_to_anchor=(1.0, 0.93), frameon=False)
    fig.tight_layout()


def safe_name(text):
    """A file-name fragment for a workload or variant label."""
    keep = [c if c.isalnum() or c in "-_." else "_" for c in text]
    return "".join(keep).strip("_") or "unnamed"


def format_bytes(value, _pos=None):
    """1536 -> '1.5 KiB' (binary units, as RSS is counted in pages)."""
    value = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            if unit == "B":
                return f"{value:.0f} B"
            return f"{value:.3g} {unit}"
        value /= 1024
    return f"{value:.3g}"


BYTES_FORMATTER = FuncFormatter(format_bytes)


class BytesLocator(MaxNLocator):
    """Round ticks in the binary unit of the axis (0, 10, 20 MiB, ...)."""

    def tick_values(self, vmin, vmax):
        top = max(abs(vmin), abs(vmax), 1.0)
        scale = 1024 ** max(0, min(4, int(math.log(top, 1024))))
        return super().tick_values(vmin / scale, vmax / scale) * scale


def bytes_axis(axis):
    """Label a linear axis in bytes with round binary-unit ticks."""
    axis.set_major_locator(BytesLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(BYTES_FORMATTER)


def seconds_formatter():
    """Tick labels for values in seconds: 70 ns, 1.6 µs, 16 ms."""
    return EngFormatter(unit="s", places=0, sep=" ")


def format_rate(value):
    """ops/s with an SI prefix: 1.32e7 -> '13.3 M'."""
    return EngFormatter(places=1, sep=" ").format_eng(value)


def legend_below(fig, handles, labels, ncol=None, title=None):
    """One legend for the figure, under the axes, never over data; up to
    six entries a row, so fifteen allocators take three rows."""
    ncol = ncol or min(len(labels), 5 if len(labels) <= 5 else 6)
    return fig.legend(handles, labels, loc="lower center", ncol=ncol,
                      title=title, frameon=False,
                      bbox_to_anchor=(0.5, -0.01))


def run_arguments(description, output_help):
    """The command line of a script that renders a run: RUN, -o/--output
    (what it holds: ``output_help``), --baseline and --baseline-heap."""
    import argparse

    import allocmark_tables as tables

    parser = argparse.ArgumentParser(
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", default="results/latest",
                        help="run directory (default: %(default)s)")
    parser.add_argument("-o", "--output", metavar="DIR", help=output_help)
    parser.add_argument("--baseline", default=tables.DEFAULT_BASELINE,
                        help="process allocator the ratios are relative to "
                        "(default: %(default)s)")
    parser.add_argument("--baseline-heap",
                        default=tables.DEFAULT_BASELINE_HEAP,
                        help="heap of the baseline (default: %(default)s)")
    return parser.parse_args()


def chart_cli(description, plot):
    """main() of a chart script: parse RUN, -o/--output and the baseline,
    read the run, call ``plot(run, rows, out_dir, colours)`` and print the
    files written. Bad input: one line on stderr, exit 2."""
    import allocmark_results as results
    import allocmark_tables as tables

    args = run_arguments(description, "directory for the PNG and SVG files "
                         "(default: RUN/charts)")
    try:
        run = results.load_run(args.run)
        rows = tables.build_rows(run, args.baseline, args.baseline_heap)
        apply_style()
        charts = plot(run, rows, args.output or os.path.join(run.path,
                                                             "charts"),
                      allocator_colours(run.allocators))
    except results.ResultError as error:
        results.exit_on_error(error)
    for chart in charts:
        print(chart.png)
        print(chart.svg)
    return 0
