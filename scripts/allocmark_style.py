"""The look shared by every allocmark chart: palette, fonts, file output.

One colour per process allocator, the same in every chart of every run:
the Okabe-Ito palette (Okabe & Ito 2008), which stays distinct under the
common colour-vision deficiencies. Known allocators have fixed colours;
others (user libraries) take the remaining colours in the run's order.
Each allocator also has its own marker, so lines stay apart in greyscale.
Heaps are told apart by position (bar groups) or panel, never by colour alone.
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
FIXED_COLOURS = {
    "glibc": OKABE_ITO["blue"],
    "jemalloc": OKABE_ITO["vermillion"],
    "tcmalloc": OKABE_ITO["bluish green"],
    "mimalloc": OKABE_ITO["orange"],
}
SPARE_COLOURS = [OKABE_ITO[n] for n in
                 ("reddish purple", "sky blue", "black", "yellow")]
FIXED_MARKERS = {"glibc": "o", "jemalloc": "s", "tcmalloc": "^",
                 "mimalloc": "D"}
SPARE_MARKERS = ["v", "P", "X", "*", "h", "<", ">", "p"]
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


def allocator_colours(allocators):
    """{allocator: colour} for the names of a run, stable across runs."""
    colours = dict(FIXED_COLOURS)
    spare = iter(SPARE_COLOURS * (1 + len(allocators)))
    for name in allocators:
        if name not in colours:
            colours[name] = next(spare)
    return colours


def allocator_markers(allocators):
    markers = dict(FIXED_MARKERS)
    spare = iter(SPARE_MARKERS * (1 + len(allocators)))
    for name in allocators:
        if name not in markers:
            markers[name] = next(spare)
    return markers


def save(fig, out_dir, name):
    """Write ``name``.png and ``name``.svg into out_dir; return the paths."""
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, f"{name}.png")
    svg = os.path.join(out_dir, f"{name}.svg")
    fig.savefig(png, dpi=DPI)
    fig.savefig(svg)
    plt.close(fig)
    return png, svg


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
    """One legend for the figure, under the axes, never over data."""
    ncol = ncol or min(len(labels), 5)
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
