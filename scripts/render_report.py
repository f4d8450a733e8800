#!/usr/bin/python3
"""Render a run: every chart, report.html and summary.md.

Writes into the run directory (or -o DIR): charts/*.png and *.svg (overview,
throughput, RSS over time, fragmentation, latency, scaling), report.html (one
self-contained page: charts embedded as base64 PNG, the environment from
run.json, the overview first, a section per workload with a sortable table,
and the warnings: the run's own, noisy series, failed cells with their
reasons) and summary.md (a Markdown table to paste into an issue or a pull
request). Failed series read "failed", never 0. Ratios are relative to
--baseline on --baseline-heap (glibc on malloc by default). Fragmentation is
the headline, peak resident above baseline / peak live bytes. Where the run
measured it (`allocmark run --callgrind`, `--perf`), the tables give the
allocator's share of the timed region's instructions and time beside the
throughput ("-" where not measured).

Bad input (no run directory, a malformed cells.jsonl line, a schema version
these scripts do not know): one line on stderr, exit status 2.
"""

import base64
import html
import os
import sys

import allocmark_results as results
import allocmark_style as style
import allocmark_tables as tables
import plot_fragmentation
import plot_latency
import plot_overview
import plot_rss_over_time
import plot_scaling
import plot_throughput
from allocmark_stats import (NOISY_CI_HALF_WIDTH, NOISY_REL_IQR,
                             NOISY_REMEDY, geometric_mean)

CHART_MODULES = (plot_overview, plot_throughput, plot_rss_over_time,
                 plot_fragmentation, plot_latency, plot_scaling)
FAILED = "failed"

SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute("data-dir") !== "asc";
      table.querySelectorAll("th").forEach(function (h) {
        h.removeAttribute("data-dir");
      });
      th.setAttribute("data-dir", asc ? "asc" : "desc");
      rows.sort(function (a, b) {
        var x = a.cells[col].getAttribute("data-sort");
        var y = b.cells[col].getAttribute("data-sort");
        var nx = parseFloat(x), ny = parseFloat(y);
        var missing = function (v) { return v === null || v === ""; };
        if (missing(x) !== missing(y)) return missing(x) ? 1 : -1;
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny
              : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
document.body.setAttribute("data-report-ready", "yes");
"""

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1300px;
       padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd; }
img { max-width: 100%; height: auto; display: block; margin: 1em 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
td { white-space: nowrap; }
th { background: #f3f3f3; cursor: pointer; user-select: none; }
th[data-dir=asc]::after { content: " ▲"; }
th[data-dir=desc]::after { content: " ▼"; }
td.text, th.text { text-align: left; }
tr.failed td { background: #fbeaea; }
td.failed { color: #a00; font-weight: bold; }
tr.noisy td { background: #fff7e0; }
.warnings li { margin: 0.2em 0; } .note { color: #555; }
nav { margin: 0.5em 0 1em; line-height: 1.8; }
nav a { white-space: nowrap; }
details summary { cursor: pointer; color: #0072B2; }
dl.env { display: grid; grid-template-columns: max-content auto;
         gap: 2px 1em; }
dl.env dt { font-weight: bold; } dl.env dd { margin: 0; }
"""


def _fmt(value, kind):
    if value is None:
        return ""
    if kind == "ratio":
        return f"{value:.2f}×"
    if kind == "bytes":
        return style.format_bytes(value)
    if kind == "rate":
        return style.format_rate(value)
    if kind == "ns":
        return style.seconds_formatter().format_eng(value * 1e-9) + "s"
    return f"{value:.3g}"


def render_charts(run, rows, out_dir, baseline):
    """Every chart of the run; [] when no cell measured anything."""
    if not any(c.ok for c in run.cells):
        return []
    style.apply_style()
    colours = style.allocator_colours(run.allocators)
    charts = []
    for module in CHART_MODULES:
        charts.extend(module.plot(run, rows, out_dir, colours))
    return charts


def img_tag(chart):
    """The chart's PNG inline, shown at its size in inches at 96 CSS px per
    inch (the file has style.DPI pixels per inch, for sharp zooming)."""
    with open(chart.png, "rb") as f:
        png = f.read()
    width = int.from_bytes(png[16:20], "big") * 96 // style.DPI
    data = base64.b64encode(png).decode("ascii")
    return (f'<img alt="{html.escape(chart.title)}" width="{width}" '
            f'src="data:image/png;base64,{data}">')


def td(text, sort=None, cls=""):
    """A cell of a sortable table: ``text`` escaped, ``sort`` the value the
    page's script sorts it by (empty sorts last), ``cls`` its CSS classes."""
    sort = "" if sort is None else sort
    cls = f' class="{cls}"' if cls else ""
    return f'<td{cls} data-sort="{html.escape(str(sort))}">' \
           f'{html.escape(str(text))}</td>'


COLUMNS = ("heap", "threads", "allocator", "status", "n ok / n",
           "throughput", "in allocator (instr.)", "in allocator (time)",
           "vs baseline", "95% CI", "peak RSS", "RSS vs base",
           "fragmentation", "p99")


def _heading(column, unit):
    if column == "throughput":
        return f"throughput ({unit}/s)"
    if column == "fragmentation":
        return f"fragmentation ({tables.FRAGMENTATION_LABEL})"
    return column


def _share_cell(value):
    return td(tables.format_share(value), "" if value is None else value)


def _table(run, rows):
    unit = run.ops_unit(rows[0].series.workload)
    head = "".join(
        f'<th class="{"text" if i in (0, 2, 3) else ""}">'
        f"{html.escape(_heading(c, unit))}</th>"
        for i, c in enumerate(COLUMNS))
    body = []
    for r in rows:
        s = r.series
        status = FAILED if r.failed else ("noisy" if r.noisy else "ok")
        if r.is_baseline:
            status += " (baseline)"
        cls = "failed" if r.failed else ("noisy" if r.noisy else "")
        cells = [td(s.heap, s.heap, "text"), td(s.threads, s.threads),
                 td(s.allocator, s.allocator, "text"),
                 td(status, status, "text failed" if r.failed else "text"),
                 td(f"{r.n_ok} / {r.n_total}", r.n_ok)]
        if r.failed:
            cells += [td(FAILED, "", "failed")] + \
                [td("", "") for _ in COLUMNS[6:]]
        else:
            tp = r.throughput
            ci = r.speedup_ci
            if r.is_baseline and tp and tp.ci_low is not None:
                ci = (tp.ci_low / tp.median, tp.ci_high / tp.median)
            p99 = r.latency.get("p99_ns")
            fr = r.fragmentation
            cells += [
                td(_fmt(tp.median if tp else None, "rate"),
                      tp.median if tp else ""),
                _share_cell(r.instruction_share),
                _share_cell(r.time_share),
                td(_fmt(r.speedup, "ratio"), r.speedup),
                td(f"{ci[0]:.2f}–{ci[1]:.2f}" if ci else "",
                      ci[0] if ci else ""),
                td(_fmt(r.peak_rss.median if r.peak_rss else None,
                           "bytes"), r.peak_rss.median if r.peak_rss else ""),
                td(_fmt(r.rss_ratio, "ratio"), r.rss_ratio),
                td(_fmt(fr.median if fr else None, "ratio"),
                      fr.median if fr else ""),
                td(_fmt(p99.median if p99 else None, "ns"),
                      p99.median if p99 else "")]
        body.append(f'<tr class="{cls}">{"".join(cells)}</tr>')
    return (f'<table class="sortable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _series_name(series):
    return (f"{series.workload_label}, heap {series.heap}, "
            f"{series.allocator}, {series.threads} "
            f"thread{'s' * (series.threads != 1)}")


def _integrity(run):
    """Warnings about cells that contradict each other: an allocator other
    than the one asked for, request sequences that differ by allocator."""
    items = []
    checksums = {}
    for cell in run.cells:
        if not cell.ok:
            continue
        proven = cell.raw.get("allocator_proven")
        if proven and proven != cell.allocator:
            items.append(f"{cell.cell_id}: asked for {cell.allocator}, "
                         f"{proven} served malloc")
        key = (cell.workload, str(sorted(cell.params.items())), cell.threads,
               cell.heap, cell.raw.get("seed"))
        if cell.raw.get("request_checksum"):
            checksums.setdefault(key, set()).add(cell.raw["request_checksum"])
    for key, values in checksums.items():
        if len(values) > 1:
            items.append(f"{key[0]}, heap {key[3]}, {key[2]} threads: the "
                         "request sequence differs between allocators "
                         f"(checksums {', '.join(sorted(values))})")
    return items


def _warnings(run, rows):
    """The Warnings section's items, as HTML: the run's own warnings, an
    incomplete run, contradictions, failed series with their reasons, and
    noisy series (listed under a fold: there can be many)."""
    esc = html.escape
    items = [esc(w) for w in run.warnings]
    status = run.info.get("status")
    planned = run.info.get("cells_planned")
    if status and status != "complete":
        items.append(esc(
            f"the run is {status}: {len(run.cells)} of {planned or '?'} "
            f"cells recorded; `allocmark run --resume {run.path}` "
            "completes it"))
    items += [esc(w) for w in _integrity(run)]
    failed = [r for r in rows if r.series.failed_cells]
    if failed:
        n_cells = sum(len(r.series.failed_cells) for r in failed)
        lines = []
        for r in failed:
            cells = r.series.failed_cells
            reasons = sorted({c.error or "no reason given" for c in cells})
            lines.append(esc(
                f"{_series_name(r.series)}: {len(cells)} of "
                f"{len(r.series.cells)} repetitions failed: "
                + "; ".join(reasons)
                + f" ({', '.join(c.cell_id for c in cells)})"))
        items.append(f"<strong>{n_cells} of {len(run.cells)} cells failed"
                     "</strong> (tables and charts say \"failed\", never 0):"
                     "<ul>" + "".join(f"<li>{x}</li>" for x in lines)
                     + "</ul>")
    unmeasured = [c for c in run.cells if c.ok and (
        c.raw.get("callgrind_error") or c.raw.get("perf_error"))]
    if unmeasured:
        lines = [esc(f"{c.cell_id}: " + "; ".join(
            f"{tool}: {c.raw[key]}" for tool, key in (
                ("callgrind", "callgrind_error"), ("perf", "perf_error"))
            if c.raw.get(key))) for c in unmeasured]
        items.append(
            f"<strong>the allocator's share is not measured for "
            f"{len(unmeasured)} cell{'s' * (len(unmeasured) != 1)}</strong> "
            "(the tables say \"-\"):"
            "<details><summary>why</summary><ul>"
            + "".join(f"<li>{x}</li>" for x in lines) + "</ul></details>")
    noisy = [r for r in rows if r.noisy]
    if noisy:
        lines = []
        for r in noisy:
            t = r.throughput
            lines.append(esc(
                f"noisy: {r.series.workload_label} {r.series.label} "
                f"threads={r.series.threads}: 95% CI ±"
                f"{t.rel_ci_half_width:.0%} of the median, IQR "
                f"{t.rel_iqr:.0%}, n={t.n}"))
        items.append(
            f"<strong>{len(noisy)} of {len(rows)} series are noisy</strong> "
            f"(throughput's 95% CI wider than ±{NOISY_CI_HALF_WIDTH:.0%} of "
            f"the median, or IQR over {NOISY_REL_IQR:.0%}; hatched in the "
            f"charts): {esc(NOISY_REMEDY)}."
            f"<details><summary>the {len(noisy)} noisy series</summary><ul>"
            + "".join(f"<li>{x}</li>" for x in lines) + "</ul></details>")
    return items


def _environment(run):
    env = run.environment
    keys = ["run_id", "status", "started_at", "finished_at", "command_line"]
    pairs = [(k, run.info.get(k)) for k in keys if run.info.get(k)]
    pairs += sorted(env.items())
    pairs += [("allocators", ", ".join(
        f"{a.get('name')} {a.get('version') or ''}".strip()
        for a in run.info.get("allocators") or [] if isinstance(a, dict)))]
    return "".join(f"<dt>{html.escape(str(k))}</dt>"
                   f"<dd>{html.escape(_env_value(k, v))}</dd>"
                   for k, v in pairs)


def _env_value(key, value):
    """run.json's values as a reader wants them: units, yes/no, unknown."""
    if value is None or value == "":
        return "unknown" if value is None else "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key.endswith("_bytes") and isinstance(value, (int, float)):
        return f"{style.format_bytes(value)} ({value:.0f} bytes)"
    if isinstance(value, list):
        return ", ".join(f"{v:.2f}" if isinstance(v, float) else str(v)
                         for v in value)
    return str(value)


def render_html(run, rows, charts, baseline):
    by_kind = {}
    for chart in charts:
        by_kind.setdefault((chart.kind, chart.workload), []).append(chart)
    ok = any(c.ok for c in run.cells)
    parts = [f"<h1>allocmark run {html.escape(run.run_id)}</h1>",
             f'<p class="note">{len(run.cells)} cells '
             f"({sum(not c.ok for c in run.cells)} failed), "
             f"{len(run.workloads)} workloads, allocators "
             f"{html.escape(', '.join(run.allocators))}; ratios relative "
             f"to {html.escape(baseline)}. Click a column heading to sort."
             "</p>"]
    links = [("warnings", "Warnings")]
    if ok:
        links += [("overview", "Overview"), ("fragmentation", "Fragmentation")]
    links += [(f"w-{style.safe_name(w)}", w)
              for w in tables.rows_by_workload(rows)]
    links.append(("environment", "Environment"))
    parts.append("<nav>" + " · ".join(
        f'<a href="#{html.escape(a)}">{html.escape(t)}</a>'
        for a, t in links) + "</nav>")
    if not run.cells:
        parts.append("<p><strong>This run recorded no cells.</strong></p>")
    elif not ok:
        parts.append("<p><strong>Every cell of this run failed: there are "
                     "no measurements to chart. The reasons are listed under "
                     "Warnings.</strong></p>")
    warnings = _warnings(run, rows)
    parts.append('<h2 id="warnings">Warnings</h2>')
    parts.append('<ul class="warnings">' + "".join(
        f"<li>{w}</li>" for w in warnings) + "</ul>" if warnings
        else "<p>None.</p>")
    for chart in by_kind.get(("overview", ""), []):
        parts += ['<h2 id="overview">Overview</h2>', img_tag(chart)]
    frag = [c for c in charts if c.kind == "fragmentation"]
    if frag:
        parts.append('<h2 id="fragmentation">Fragmentation</h2>')
        parts.append(
            f'<p class="note">Fragmentation: '
            f"{html.escape(tables.FRAGMENTATION_LABEL)} (lower is better): "
            "how far the resident set rose at its peak above its size when "
            "the timed region began, over the most bytes the workload held "
            "live at once. The process's own footprint is in the baseline "
            "and left out.</p>")
        parts += [img_tag(c) for c in frag]
    for workload, wrows in tables.rows_by_workload(rows).items():
        w = wrows[0].series.workload
        parts.append(f'<h2 id="w-{html.escape(style.safe_name(workload))}">'
                     f"{html.escape(workload)}</h2>")
        summary = run.workload_info(w).get("summary")
        if summary:
            parts.append(f'<p class="note">{html.escape(summary)}</p>')
        parts.append(_table(run, wrows))
        if tables.has_shares(wrows):
            parts.append(f'<p class="note">In allocator: the share of the '
                         "timed region's instructions (callgrind) and time "
                         "(perf samples) spent in the allocator or the "
                         "in-process heap, in repetition 0. "
                         f"{html.escape(tables.LOW_SHARE_NOTE)}</p>")
        for kind in ("throughput", "rss", "latency", "scaling"):
            for chart in by_kind.get((kind, workload), []):
                parts.append(img_tag(chart))
    parts.append('<h2 id="environment">Environment</h2>')
    parts.append(f'<dl class="env">{_environment(run)}</dl>')
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>allocmark run {html.escape(run.run_id)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}"
            f"<script>{SCRIPT}</script></body></html>\n")


def _geometric_means(rows):
    """{(heap, allocator): (throughput ratio, RSS ratio, n)}: geometric
    means over the rows that have a ratio to the baseline."""
    groups = {}
    for r in rows:
        if r.speedup:
            groups.setdefault((r.series.heap, r.series.allocator),
                              []).append(r)
    return {key: (geometric_mean([r.speedup for r in g]),
                  geometric_mean([r.rss_ratio for r in g if r.rss_ratio]),
                  len(g)) for key, g in groups.items()}


SUMMARY_COLUMNS = ("workload", "threads", "heap", "allocator", "n",
                   "throughput", "in allocator (instr.)",
                   "in allocator (time)", "× baseline (95% CI)", "peak RSS",
                   "× baseline", "fragmentation")


def render_summary(run, rows, baseline):
    lines = [f"### allocmark run {run.run_id}", "",
             f"Medians over the repetitions; ratios relative to {baseline} "
             "(throughput: higher is better; peak RSS: lower is better). "
             f"Fragmentation: {tables.FRAGMENTATION_LABEL} (lower is better). "
             "In allocator: the share of the timed region's instructions "
             "(`--callgrind`) and time (`--perf`) spent in the allocator or "
             "the in-process heap, in repetition 0 (\"-\": not measured).",
             "", "| " + " | ".join(SUMMARY_COLUMNS) + " |",
             "|---|---:|---|---|" + "---:|" * (len(SUMMARY_COLUMNS) - 4)]
    for r in rows:
        s = r.series
        if r.failed:
            reason = (s.cells[0].error or "").replace("|", "\\|")[:80]
            figures = f"{FAILED} | | | {FAILED}: {reason} | | |"
        else:
            tp = r.throughput
            unit = run.ops_unit(s.workload)
            noisy = " (noisy)" if r.noisy else ""
            ci = r.speedup_ci
            speedup = _fmt(r.speedup, "ratio") + (
                f" ({ci[0]:.2f}–{ci[1]:.2f})" if ci and not r.is_baseline
                else "")
            figures = " | ".join([
                f"{_fmt(tp.median, 'rate').strip()} {unit}/s{noisy}"
                if tp else "",
                tables.format_share(r.instruction_share),
                tables.format_share(r.time_share),
                speedup,
                _fmt(r.peak_rss.median if r.peak_rss else None, "bytes"),
                _fmt(r.rss_ratio, "ratio"),
                _fmt(r.fragmentation.median if r.fragmentation else None,
                     "ratio")])
        lines.append(f"| {s.workload_label} | {s.threads} | {s.heap} | "
                     f"{s.allocator} | {r.n_ok}/{r.n_total} | {figures} |")
    if not rows:
        lines.append("| (no cells) |" + " |" * (len(SUMMARY_COLUMNS) - 1))
    if tables.has_shares(rows):
        lines += ["", tables.LOW_SHARE_NOTE]
    means = _geometric_means(rows)
    if means:
        lines += ["", "Geometric mean of the ratios to the baseline over "
                  "the workloads each heap and allocator ran (95% "
                  "bootstrap intervals of single ratios are in "
                  "parentheses above):", "",
                  "| heap | allocator | throughput | peak RSS | workloads |",
                  "|---|---|---:|---:|---:|"]
        for (heap, allocator), (tp, rss, n) in means.items():
            lines.append(f"| {heap} | {allocator} | {_fmt(tp, 'ratio')} | "
                         f"{_fmt(rss, 'ratio')} | {n} |")
    failed = sum(not c.ok for c in run.cells)
    if failed:
        lines += ["", f"{failed} of {len(run.cells)} cells failed; "
                  "see report.html for the reasons."]
    return "\n".join(lines) + "\n"


def render(run_dir, out_dir=None, baseline=tables.DEFAULT_BASELINE,
           baseline_heap=tables.DEFAULT_BASELINE_HEAP):
    """Render everything; returns the paths written. Raises ResultError."""
    run = results.load_run(run_dir)
    out_dir = out_dir or run.path
    rows = tables.build_rows(run, baseline, baseline_heap)
    charts = render_charts(run, rows, os.path.join(out_dir, "charts"),
                           baseline)
    label = baseline if baseline_heap == "malloc" else \
        f"{baseline_heap} on {baseline}"
    os.makedirs(out_dir, exist_ok=True)
    report = os.path.join(out_dir, "report.html")
    with open(report, "w", encoding="utf-8") as f:
        f.write(render_html(run, rows, charts, label))
    summary = os.path.join(out_dir, "summary.md")
    with open(summary, "w", encoding="utf-8") as f:
        f.write(render_summary(run, rows, label))
    return [p for c in charts for p in (c.png, c.svg)] + [report, summary]


def main():
    args = style.run_arguments(
        __doc__, "where report.html, summary.md and charts/ go (default: RUN)")
    try:
        paths = render(args.run, args.output, args.baseline,
                       args.baseline_heap)
    except results.ResultError as error:
        results.exit_on_error(error)
    print(paths[-2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
