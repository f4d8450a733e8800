#!/usr/bin/python3
"""Charts and a page of a trace's profile: what a recorded program asks of
an allocator.

PROFILE is the JSON of `allocmark profile TRACE --json`, or the trace
itself, profiled with --allocmark. Writes into -o DIR (default: PROFILE.report
beside PROFILE) charts/*.png and *.svg:

  profile_live_bytes    live bytes over time, the peak marked
  profile_sizes         allocations and bytes asked for by size class
  profile_lifetimes     freed blocks by lifetime, in time and in the
                        allocations made between a block's birth and death
  profile_entry_points  calls and bytes by entry point (malloc, free, ...)
  profile_threads       allocations and frees by thread, and the share of
                        frees made by another thread (traces of more than
                        one thread)

and profile.html: one self-contained page (charts embedded as base64 PNG)
with the recording's facts (command, allocator, calls, duration, threads,
whether the trace is complete), the profile's reading, a table of the entry
points and the charts. `make report TRACE=FILE` runs this.

Counts span orders of magnitude (a program makes millions of 32-byte
allocations and a handful of megabyte ones), so the size-class, entry-point
and thread charts use logarithmic axes; the lifetime charts show shares of
the freed blocks on a linear axis, each bar labelled with its count.

Bad input (a missing or malformed profile, a trace that allocmark refuses):
one line on stderr, exit status 2.
"""

import argparse
import os
import sys

from matplotlib.ticker import LogLocator, NullFormatter

import allocmark_profile as profiles
import allocmark_profile_page as page
import allocmark_results as results
import allocmark_style as style

plt = style.plt
# The profile describes the program, not an allocator: neutral colours, none
# of them an allocator's.
ACQUIRE_COLOUR = "#4a6076"
RELEASE_COLOUR = "#a9b8c8"
LIVE_COLOUR = style.REFERENCE_COLOUR  # as the live bytes of the RSS charts
COUNT_FORMATTER = style.EngFormatter(places=0, sep="")


def _count(n):
    """3 -> '3', 1867863 -> '1.9M': a count short enough for a bar."""
    return str(n) if n < 1000 else \
        style.EngFormatter(places=1, sep="").format_eng(n)


def _percent(share):
    """0.49 -> '49%', 0.014 -> '1.4%', 0.00001 -> '<0.1%'."""
    percent = 100 * share
    if percent >= 9.95 or percent == 0:
        return f"{percent:.0f}%"
    return f"{percent:.1f}%" if percent >= 0.05 else "<0.1%"


def _plain(text):
    """Text from the trace, shown as itself (a '$' starts no formula)."""
    return text.replace("$", r"\$")


def program_name(profile):
    """The recorded program's file name ("python3"), or "program"."""
    command = profile["command"]
    return os.path.basename(command[0]) if command and command[0] \
        else "program"


def size_class_label(max_bytes):
    """A size class by its largest size: 64 -> '≤ 64 B', 0 -> '0 B'."""
    return "0 B" if max_bytes == 0 else f"≤ {style.format_bytes(max_bytes)}"


def _duration(ns):
    """1000 -> '1 µs', 1e11 -> '100 s'."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:g} {unit}"
    return f"{ns:g} ns"


def _decade(n):
    """10 -> '10', 10000 -> '10k', 1e9 -> '1G'."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:g}{unit}"
    return f"{n:g}"


def _decade_labels(buckets, in_time):
    """Labels of decade buckets ({"below": limit or None}): '< 1 µs',
    '1–10 µs', '100 µs–1 ms', ..., '≥ 1000 s' for limits in ns
    (``in_time``), else '< 10', '10–100', ..., '≥ 1G'."""
    fmt = _duration if in_time else _decade
    labels, low = [], None
    for bucket in buckets:
        high = bucket.get("below")
        if high is None:
            labels.append(f"≥ {fmt(low)}")
        elif low is None:
            labels.append(f"< {fmt(high)}")
        else:
            a, b = fmt(low), fmt(high)
            unit = b.split(" ")[-1] if in_time else ""
            if in_time and a.endswith(" " + unit):
                a = a[:-len(unit) - 1]
            labels.append(f"{a}–{b}")
        low = high
    return labels


def _no_data(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center",
            va="center", color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def _log_counts(axis):
    axis.set_major_formatter(COUNT_FORMATTER)
    axis.set_minor_formatter(NullFormatter())


def _log_bytes(axis):
    """A logarithmic axis of bytes, ticks at 1 B, 32 B, 1 KiB, 32 KiB..."""
    axis.set_major_locator(LogLocator(base=1024, subs=(1, 32)))
    axis.set_major_formatter(style.BYTES_FORMATTER)
    axis.set_minor_formatter(NullFormatter())


def plot_live_bytes(profile, out_dir, program):
    live = profile["live_bytes"]
    series = live["series"]
    fig, ax = plt.subplots(figsize=(11, 5.2))
    title = f"{program}: live bytes over time"
    if not series:
        _no_data(ax, "no allocation recorded")
    else:
        times = [t for t, _ in series]
        values = [v for _, v in series]
        if profile["duration_s"] > times[-1]:
            times.append(profile["duration_s"])
            values.append(values[-1])
        slice_s = times[1] - times[0] if len(series) > 1 else 0
        line, = ax.plot(times, values, color=LIVE_COLOUR, linewidth=2.0,
                        drawstyle="steps-post")
        peak, at_s = live["peak_bytes"], live["peak_time_s"]
        mark, = ax.plot([at_s], [peak], marker="v", markersize=11,
                        color="black", linestyle="none", zorder=5)
        ax.axhline(peak, color="black", linestyle=":", linewidth=1.0)
        right = at_s > 0.6 * max(times[-1], 1e-9)
        ax.annotate(f"peak {style.format_bytes(peak)} at "
                    f"{style.seconds_formatter().format_eng(at_s)}s",
                    (at_s, peak), xytext=(-12 if right else 12, 10),
                    textcoords="offset points",
                    ha="right" if right else "left", va="bottom",
                    fontsize=12)
        ax.set_ylim(0, max(peak, 1) * 1.18)
        ax.set_xlim(0, times[-1] or 1e-3)
        width = style.seconds_formatter().format_eng(slice_s)
        slices = f" (the highest in each {width}s)" if slice_s else ""
        ax.legend([line, mark], [f"live bytes{slices}",
                                 "peak live bytes"],
                  loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  frameon=False)
        ax.set_xlabel("time since recording began")
        ax.set_ylabel("bytes allocated and not yet freed")
        ax.xaxis.set_major_locator(style.MaxNLocator(6))
        ax.xaxis.set_major_formatter(style.seconds_formatter())
        style.bytes_axis(ax.yaxis)
    ax.set_title(_plain(title), loc="left")
    return style.save_chart(fig, out_dir, "profile_live_bytes", "", title)


def plot_sizes(profile, out_dir, program):
    classes = profile["size_classes"]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(
        max(9.0, 1.5 + 0.5 * len(classes)), 8.0))
    title = f"{program}: allocations by size class"
    if not classes:
        _no_data(top, "no allocation recorded")
        bottom.set_visible(False)
    else:
        x = range(len(classes))
        counts = [c["allocations"] for c in classes]
        total = sum(counts) or 1
        top.bar(x, counts, 0.75, color=ACQUIRE_COLOUR, zorder=2)
        for i, n in enumerate(counts):
            if n / total >= 0.01:
                top.text(i, n * 1.15, _percent(n / total), ha="center",
                         va="bottom", fontsize=9, color="#333333")
        top.set_yscale("log")
        top.set_ylim(0.7, max(counts) * 6)
        _log_counts(top.yaxis)
        top.set_ylabel("allocations\n(log scale)")
        top.set_title("allocations, with their share where it is 1% or "
                      "more", loc="left", fontsize=13)
        amounts = [c["bytes"] for c in classes]
        bottom.bar(x, amounts, 0.75, color=ACQUIRE_COLOUR, zorder=2)
        bottom.set_yscale("log")
        bottom.set_ylim(0.7, max(max(amounts), 1) * 4)
        _log_bytes(bottom.yaxis)
        bottom.set_ylabel("bytes asked for\n(log scale)")
        bottom.set_title("bytes asked for", loc="left", fontsize=13)
        bottom.set_xticks(list(x))
        bottom.set_xticklabels([size_class_label(c["max_bytes"])
                                for c in classes], rotation=45, ha="right",
                               rotation_mode="anchor")
        bottom.set_xlabel("size class (powers of two: the sizes above the "
                          "class to the left, up to this)")
        for ax in (top, bottom):
            ax.grid(axis="x", visible=False)
    fig.suptitle(_plain(title), x=0.01, ha="left")
    fig.tight_layout()
    return style.save_chart(fig, out_dir, "profile_sizes", "", title)


def _trimmed(buckets):
    """The buckets up to the last one that holds a block (at least one)."""
    last = max((i for i, b in enumerate(buckets) if b["blocks"]), default=0)
    return buckets[:last + 1]


def plot_lifetimes(profile, out_dir, program):
    fig, axes = plt.subplots(1, 2, figsize=(14, 5.6))
    freed = sum(b["blocks"] for b in profile["lifetime_ns"])
    never = profile.get("never_freed_blocks")
    title = f"{program}: how long blocks live"
    for ax, key, in_time, xlabel in (
            (axes[0], "lifetime_ns", True, "lifetime (time from allocation "
             "to free)"),
            (axes[1], "lifetime_allocations", False, "allocations made "
             "between a block's allocation and its free")):
        if not freed:
            _no_data(ax, "no block was freed")
            continue
        buckets = _trimmed(profile[key])
        labels = _decade_labels(buckets, in_time)
        shares = [100 * b["blocks"] / freed for b in buckets]
        ax.bar(range(len(buckets)), shares, 0.75, color=ACQUIRE_COLOUR,
               zorder=2)
        for i, b in enumerate(buckets):
            if b["blocks"]:
                ax.text(i, shares[i] + 1, _count(b["blocks"]), ha="center",
                        va="bottom", fontsize=10, color="#333333")
        ax.set_xticks(range(len(buckets)))
        ax.set_xticklabels(labels, rotation=35, ha="right",
                           rotation_mode="anchor")
        ax.set_ylim(0, min(100, max(shares) * 1.15 + 5))
        ax.set_xlabel(xlabel)
        ax.set_ylabel("share of freed blocks (%)")
        ax.grid(axis="x", visible=False)
    never_text = f", {never:,} never freed (not shown)" if never else ""
    fig.suptitle(_plain(f"{title}\n{freed:,} freed blocks{never_text}; "
                        "each bar is labelled with its count"), x=0.01,
                 ha="left")
    fig.tight_layout()
    return style.save_chart(fig, out_dir, "profile_lifetimes", "", title)


def plot_entry_points(profile, out_dir, program):
    entries = profile["entry_points"]
    fig, ax = plt.subplots(figsize=(11, 1.6 + 0.5 * max(1, len(entries))))
    title = f"{program}: calls by entry point"
    if not entries:
        _no_data(ax, "no call recorded")
    else:
        total = sum(e["calls"] for e in entries) or 1
        y = range(len(entries))
        ax.barh(y, [e["calls"] for e in entries], 0.7, zorder=2,
                color=[ACQUIRE_COLOUR if e["bytes"] else RELEASE_COLOUR
                       for e in entries])
        for i, e in enumerate(entries):
            text = f"{_count(e['calls'])} ({_percent(e['calls'] / total)})"
            if e["bytes"]:
                text += f", {style.format_bytes(e['bytes'])}"
            if e["failed"]:
                text += f", {e['failed']:,} failed"
            ax.text(e["calls"] * 1.15, i, text, va="center", fontsize=11)
        ax.set_yticks(list(y))
        ax.set_yticklabels([_plain(e["name"]) for e in entries])
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlim(0.7, max(e["calls"] for e in entries) * 60)
        _log_counts(ax.xaxis)
        ax.set_xlabel("calls (log scale); labels: calls (share of all "
                      "calls), bytes asked for")
        ax.grid(axis="y", visible=False)
        ax.legend([plt.Rectangle((0, 0), 1, 1, color=c) for c in
                   (ACQUIRE_COLOUR, RELEASE_COLOUR)],
                  ["asks for bytes", "asks for none (frees)"],
                  loc="upper left", bbox_to_anchor=(1.0, 1.0),
                  frameon=False)
    ax.set_title(_plain(title), loc="left")
    return style.save_chart(fig, out_dir, "profile_entry_points", "", title)


def plot_threads(profile, out_dir, program):
    threads = profile["threads_detail"]
    cross = profile["cross_thread"]
    fig, ax = plt.subplots(figsize=(max(9.0, 2 + 0.32 * len(threads)), 5.4))
    title = f"{program}: allocations and frees by thread"
    x = range(len(threads))
    allocations = [t["allocations"] for t in threads]
    frees = [t["frees"] for t in threads]
    ax.bar([i - 0.2 for i in x], allocations, 0.4, color=ACQUIRE_COLOUR,
           label="allocations", zorder=2)
    ax.bar([i + 0.2 for i in x], frees, 0.4, color=RELEASE_COLOUR,
           label="frees", zorder=2)
    ax.set_yscale("log")
    ax.set_ylim(0.7, max(allocations + frees + [1]) * 3)
    _log_counts(ax.yaxis)
    step = max(1, len(threads) // 30)
    ax.set_xticks(list(x)[::step])
    ax.set_xticklabels([str(t["thread"]) for t in threads][::step])
    ax.set_xlim(-0.7, len(threads) - 0.3)
    ax.set_xlabel("thread (in the order it first called the allocator)")
    ax.set_ylabel("calls (log scale)")
    ax.grid(axis="x", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_title(_plain(
        f"{title}\n{cross['cross_thread_frees']:,} of {cross['frees']:,} "
        f"frees ({_percent(cross['share'])}) free a block another thread "
        "allocated"), loc="left")
    return style.save_chart(fig, out_dir, "profile_threads", "", title)


def plot(profile, out_dir):
    """Every chart of the profile into out_dir; returns the Charts."""
    style.apply_style()
    program = program_name(profile)
    charts = [plot_live_bytes(profile, out_dir, program),
              plot_entry_points(profile, out_dir, program),
              plot_sizes(profile, out_dir, program),
              plot_lifetimes(profile, out_dir, program)]
    if len(profile["threads_detail"]) > 1:
        charts.append(plot_threads(profile, out_dir, program))
    return charts


def render(profile, out_dir):
    """The charts into out_dir/charts and out_dir/profile.html; returns the
    paths written, the page last."""
    charts = plot(profile, os.path.join(out_dir, "charts"))
    path = os.path.join(out_dir, "profile.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page.render_html(profile, charts, program_name(profile)))
    return [p for c in charts for p in (c.png, c.svg)] + [path]


def main():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("profile", metavar="PROFILE",
                        help="the JSON of `allocmark profile TRACE --json`, "
                        "or a trace")
    parser.add_argument("-o", "--output", metavar="DIR",
                        help="where profile.html and charts/ go (default: "
                        "PROFILE.report)")
    parser.add_argument("--allocmark", metavar="PATH",
                        default=profiles.DEFAULT_ALLOCMARK,
                        help="the allocmark binary that profiles a trace "
                        "(default: build/allocmark of this checkout)")
    args = parser.parse_args()
    try:
        profile = profiles.load_profile(args.profile, args.allocmark)
        paths = render(profile, args.output or f"{args.profile}.report")
    except results.ResultError as error:
        results.exit_on_error(error)
    print(paths[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
