"""The allocator's share of the timed region (--callgrind, --perf) and the
headline fragmentation, as the reader, report.html and summary.md show them:
the fixture run_shares has shares in rep 0 of glibc and jemalloc and a failed
pass for tcmalloc; run_smoke has no share and the old meaning of
fragmentation."""
import json
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import PYTHON, SCRIPTS

import allocmark_results as results
from allocmark_tables import FRAGMENTATION_LABEL, LOW_SHARE_NOTE

LABEL = "peak resident above baseline / peak live bytes"
INSTR, TIME = "in allocator (instr.)", "in allocator (time)"


def render(run):
    proc = subprocess.run([PYTHON, str(SCRIPTS / "render_report.py"),
                           str(run)], capture_output=True, text=True,
                          env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return (run / "report.html").read_text(), (run / "summary.md").read_text()


class _Tables(HTMLParser):
    """The text of every <th> and <td> of the page's tables, by row."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def html_rows(page, workload="churn"):
    """{(heap, allocator): {heading: text}} of the workload's table."""
    section = page.split(f'<h2 id="w-{workload}">')[1].split("<h2")[0]
    parser = _Tables()
    parser.feed(section)
    head = next(r for r in parser.rows if "allocator" in r)
    return {(r[0], r[2]): dict(zip(head, r)) for r in parser.rows
            if len(r) == len(head) and r != head}


def summary_rows(text):
    """{(workload, heap, allocator): {heading: text}} of summary.md's first
    table."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = {}
    for line in lines[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) != len(head):
            break
        rows[(cells[0], cells[2], cells[3])] = dict(zip(head, cells))
    return rows


def fragmentation_heading(headings):
    (name,) = [h for h in headings if h.startswith("fragmentation")]
    return name


def test_the_label_is_the_headline():
    assert FRAGMENTATION_LABEL == LABEL


def test_the_reader_keeps_the_new_figures(shares_run):
    run = results.load_run(shares_run)
    cells = {c.cell_id: c for c in run.cells}
    glibc = cells["churn-t1-malloc-glibc-r0"].metrics
    assert glibc["allocator_instruction_share"] == pytest.approx(0.4213)
    assert glibc["allocator_time_share"] == pytest.approx(0.3871)
    assert glibc["perf_samples"] == 1234
    assert glibc["instructions"] == 4410000
    assert glibc["process_rss_over_live"] == pytest.approx(40.17404847932087)
    assert glibc["fragmentation"] == pytest.approx(1.8678920966780088)
    tcmalloc = cells["churn-t1-malloc-tcmalloc-r0"]
    assert "allocator_time_share" not in tcmalloc.metrics
    assert tcmalloc.raw["perf_error"] == "no sample fell in the timed region"
    series = {s.allocator: s for s in run.series()}
    assert series["jemalloc"].median("allocator_time_share") == \
        pytest.approx(0.5532)
    assert series["tcmalloc"].median("allocator_time_share") is None


def test_an_old_row_s_fragmentation_is_the_whole_process_ratio(smoke_run):
    run = results.load_run(smoke_run)
    cell = run.cells[0]
    assert cell.raw["fragmentation"] == pytest.approx(40.17404847932087)
    assert cell.metrics["process_rss_over_live"] == \
        pytest.approx(40.17404847932087)
    assert cell.metrics["fragmentation"] == \
        pytest.approx(cell.raw["frag_max_over_max"])


def rewrite_first_row(run_dir, **fields):
    path = run_dir / "cells.jsonl"
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row.update(fields)
    lines[0] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("fields, message", [
    ({"allocator_time_share": 1.5},
     "'allocator_time_share' is 1.5, not a fraction between 0 and 1"),
    ({"allocator_instruction_share": -0.1},
     "'allocator_instruction_share' is -0.1, not a fraction between 0 and 1"),
    ({"allocator_instruction_share": "42%"},
     "'allocator_instruction_share' is '42%', not a finite number"),
    ({"perf_error": 5}, "'perf_error' is 5, not a string"),
    ({"callgrind_error": ["x"]}, "'callgrind_error' is ['x'], not a string"),
])
def test_a_share_or_error_of_the_wrong_kind_is_refused(shares_run, fields,
                                                       message):
    rewrite_first_row(shares_run, **fields)
    with pytest.raises(results.ResultError) as error:
        results.load_run(shares_run)
    assert str(error.value) == f"{shares_run / 'cells.jsonl'}:1: {message}"


def test_report_shows_the_shares_and_the_headline(shares_run):
    page, _ = render(shares_run)
    rows = html_rows(page)
    glibc, jemalloc = rows[("malloc", "glibc")], rows[("malloc", "jemalloc")]
    tcmalloc = rows[("malloc", "tcmalloc")]
    assert (glibc[INSTR], glibc[TIME]) == ("42%", "39%")
    assert (jemalloc[INSTR], jemalloc[TIME]) == ("61%", "55%")
    assert (tcmalloc[INSTR], tcmalloc[TIME]) == ("-", "-")
    headings = list(glibc)
    assert headings.index(INSTR) == headings.index("throughput (ops/s)") + 1
    assert fragmentation_heading(headings) == f"fragmentation ({LABEL})"
    assert glibc[fragmentation_heading(headings)] == "1.84×"
    assert LOW_SHARE_NOTE in page
    assert "Cells below 50%" in page
    assert f'alt="Fragmentation: {LABEL}"' in page
    assert "peak RSS / peak live" not in page
    assert "peak RSS / live" not in page
    assert "churn-t1-malloc-tcmalloc-r0: callgrind: valgrind exited" in page
    assert "perf: no sample fell in the timed region" in page


def test_summary_shows_the_shares_and_the_headline(shares_run):
    _, summary = render(shares_run)
    rows = {a: r for (_, _, a), r in summary_rows(summary).items()}
    assert len(rows) == 3
    assert (rows["glibc"][INSTR], rows["glibc"][TIME]) == ("42%", "39%")
    assert (rows["jemalloc"][INSTR], rows["jemalloc"][TIME]) == \
        ("61%", "55%")
    assert (rows["tcmalloc"][INSTR], rows["tcmalloc"][TIME]) == ("-", "-")
    assert rows["glibc"]["fragmentation"] == "1.84×"
    assert f"Fragmentation: {LABEL}" in summary
    assert LOW_SHARE_NOTE in summary


def test_a_run_without_shares_shows_dashes(smoke_run):
    page, summary = render(smoke_run)
    rows = html_rows(page)
    every = [r for w in ("churn", "json", "frame_arena")
             for r in html_rows(page, w).values()]
    assert len(every) == 80 // 2  # 80 cells, 2 repetitions each
    for row in every:
        assert (row[INSTR], row[TIME]) == ("-", "-"), row
    # The old run's headline is its frag_max_over_max, never its 40×.
    frag = rows[("malloc", "glibc")][fragmentation_heading(
        rows[("malloc", "glibc")])]
    assert frag == "1.84×"
    table = summary_rows(summary)
    assert len(table) == 80 // 2  # 80 cells, 2 repetitions each
    assert all((r[INSTR], r[TIME]) == ("-", "-") for r in table.values())
    assert table[("churn", "malloc", "glibc")]["fragmentation"] == "1.84×"
    assert LOW_SHARE_NOTE not in page and LOW_SHARE_NOTE not in summary
    assert "share is not measured" not in page


def test_a_failed_series_has_no_share(failed_run):
    _, summary = render(failed_run)
    line = next(line for line in summary.splitlines()
                if line.startswith("| json | 1 | malloc | jemalloc |"))
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert len(cells) == len(summary_rows(summary)[("json", "malloc",
                                                    "glibc")])
    assert cells[5] == "failed" and cells[8].startswith("failed:")
