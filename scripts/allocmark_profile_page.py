"""profile.html: a trace's profile as one self-contained page.

The recording's facts (command, allocator, calls, duration, threads,
whether the trace is complete), warnings where the trace is incomplete or
contradicts itself, the profile's reading, a sortable table of the entry
points and the charts of plot_profile.py, embedded as base64 PNG with the
report's helpers and look (render_report.py). Every text that comes from
the trace is escaped: a command line can hold anything.
"""

import html
import shlex

import allocmark_style as style
from render_report import CSS, SCRIPT, img_tag, td

ORIGINS = {"start": "from the program's start",
           "fork": "from the fork that made this process",
           "exec": "from the exec that started this program"}
# Charts in the page's order: (kind, section heading, note).
SECTIONS = (
    ("profile_live_bytes", "Live bytes",
     "Bytes allocated and not yet freed, as the program asked (not the "
     "resident set, which depends on the allocator)."),
    ("profile_entry_points", "Entry points", None),
    ("profile_sizes", "Sizes",
     "Requested sizes in power-of-two classes: ≤ 64 B holds the sizes "
     "from 33 to 64 bytes."),
    ("profile_lifetimes", "Lifetimes",
     "Freed blocks only; blocks still live at the end are counted under "
     "Recording as never freed."),
    ("profile_threads", "Threads", None))
# The command line as recorded: its line breaks and spaces kept.
PAGE_CSS = "dd code { white-space: pre-wrap; word-break: break-all; }\n"
ENTRY_COLUMNS = ("entry point", "calls", "share of calls", "bytes asked for",
                 "mean bytes per call", "failed")


def _share(part, whole):
    return f"{part / whole:.1%}" if whole else "-"


def warnings(profile):
    """The page's warnings, as plain text: an incomplete trace, dropped
    events, releases of blocks that were not live."""
    items = []
    if not profile["complete"]:
        items.append("The trace has no end record: the program crashed, was "
                     "killed or exec'd, and calls after its last flush may "
                     "be missing.")
    dropped = profile.get("dropped_events") or 0
    if dropped:
        items.append(f"{dropped:,} events were dropped while recording: the "
                     "figures undercount.")
    unknown = profile.get("unknown_releases") or 0
    if unknown:
        first = profile.get("first_unknown_release")
        items.append(f"{unknown:,} calls release a block that is not live "
                     "(the trace contradicts itself)"
                     + (f"; the first: {first}" if first else "") + ".")
    return items


def facts(profile):
    """(name, value) pairs of the Recording section, as plain text."""
    live = profile["live_bytes"]
    cross = profile["cross_thread"]
    pairs = [("command", shlex.join(profile["command"])),
             ("trace", profile.get("trace", "")),
             ("allocator", profile["allocator"]
              + (f" ({profile['malloc_object']})"
                 if profile.get("malloc_object") else "")),
             ("recorded", " ".join(filter(None, [
                 profile.get("start_time", ""),
                 ORIGINS.get(profile.get("origin"), "")]))),
             ("complete", "yes" if profile["complete"] else
              "no: no end record (crashed, killed or exec'd)"),
             ("calls", f"{profile['calls']:,} ({profile['blocks']:,} blocks "
              "allocated)"),
             ("duration", f"{profile['duration_s']:.3f} s"),
             ("threads", f"{profile['threads']}"),
             ("peak live bytes", f"{style.format_bytes(live['peak_bytes'])} "
              f"({live['peak_bytes']} bytes) at {live['peak_time_s']:.3f} s"),
             ("live at the end", f"{style.format_bytes(live['at_end_bytes'])}"
              f" ({live['at_end_bytes']} bytes)")]
    if "never_freed_blocks" in profile:
        pairs.append(("never freed", f"{profile['never_freed_blocks']:,} "
                      "blocks"))
    pairs.append(("cross-thread frees", f"{cross['cross_thread_frees']:,} of "
                  f"{cross['frees']:,} ({cross['share']:.1%})"))
    realloc = profile.get("realloc") or {}
    if realloc.get("calls"):
        pairs.append(("realloc", (
            f"{realloc['calls']:,} calls ({realloc.get('growing', 0):,} "
            f"growing, {realloc.get('shrinking', 0):,} shrinking, "
            f"{realloc.get('in_place_share', 0):.0%} in place), longest "
            f"chain {realloc.get('longest_chain', 0)}")))
    bursts = profile.get("bursts") or {}
    if "releases_in_bursts" in bursts:
        pairs.append((
            f"frees in bursts of {bursts.get('min_releases', '?')}+",
            f"{bursts['releases_in_bursts']:,} "
            f"({bursts.get('share_of_releases', 0):.0%} of frees, "
            f"{bursts.get('share_of_released_bytes', 0):.0%} of freed "
            "bytes)"))
    large = profile.get("large_allocations") or {}
    if "bytes" in large:
        pairs.append((
            f"blocks of {style.format_bytes(large.get('min_bytes', 0))} or "
            "more", f"{style.format_bytes(large['bytes'])}, "
            f"{large.get('share_of_bytes', 0):.0%} of the bytes asked for"))
    return pairs


def entry_table(profile):
    """The entry points as a sortable table."""
    entries = profile["entry_points"]
    total = sum(e["calls"] for e in entries)
    head = "".join(f'<th class="{"text" if i == 0 else ""}">'
                   f"{html.escape(c)}</th>"
                   for i, c in enumerate(ENTRY_COLUMNS))
    body = []
    for e in entries:
        mean = e["bytes"] / e["calls"] if e["bytes"] and e["calls"] else None
        body.append("<tr>" + "".join([
            td(e["name"], e["name"], "text"),
            td(f"{e['calls']:,}", e["calls"]),
            td(_share(e["calls"], total), e["calls"]),
            td(f"{style.format_bytes(e['bytes'])} ({e['bytes']:,})"
               if e["bytes"] else "", e["bytes"] or ""),
            td(f"{mean:,.0f}" if mean else "", mean),
            td(f"{e['failed']:,}", e["failed"])]) + "</tr>")
    return (f'<table class="sortable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def render_html(profile, charts, program):
    """The page of ``profile`` with its ``charts`` (plot_profile.plot)."""
    esc = html.escape
    by_kind = {c.kind: c for c in charts}
    sections = [s for s in SECTIONS if s[0] in by_kind]
    parts = [f"<h1>allocmark profile: {esc(program)}</h1>",
             f'<p class="note">What <code>{esc(program)}</code> asked of '
             f"its allocator, recorded under {esc(profile['allocator'])}. "
             "Click a column heading to sort.</p>"]
    links = [("recording", "Recording"), ("reading", "Reading")]
    links += [(kind, heading) for kind, heading, _ in sections]
    items = warnings(profile)
    if items:
        links.insert(0, ("warnings", "Warnings"))
    parts.append("<nav>" + " · ".join(
        f'<a href="#{a}">{esc(t)}</a>' for a, t in links) + "</nav>")
    if items:
        parts += ['<h2 id="warnings">Warnings</h2>', '<ul class="warnings">'
                  + "".join(f"<li>{esc(w)}</li>" for w in items) + "</ul>"]
    parts += ['<h2 id="recording">Recording</h2>', '<dl class="env">'
              + "".join(f"<dt>{esc(k)}</dt><dd>"
                        + (f"<code>{esc(v)}</code>" if k == "command"
                           else esc(v)) + "</dd>"
                        for k, v in facts(profile)) + "</dl>"]
    parts.append('<h2 id="reading">Reading</h2>')
    parts += [f"<p>{esc(line)}</p>" for line in profile["reading"]] or [
        "<p>None.</p>"]
    for kind, heading, note in sections:
        parts.append(f'<h2 id="{kind}">{esc(heading)}</h2>')
        if note:
            parts.append(f'<p class="note">{esc(note)}</p>')
        if kind == "profile_entry_points":
            parts.append(entry_table(profile))
        parts.append(img_tag(by_kind[kind]))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>allocmark profile: {esc(program)}</title>"
            f"<style>{CSS}{PAGE_CSS}</style></head><body>{''.join(parts)}"
            f"<script>{SCRIPT}</script></body></html>\n")
