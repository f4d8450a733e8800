"""render_report.py and the chart scripts against the fixture runs."""
import json
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import PYTHON, SCRIPTS

import allocmark_results as results

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHARTS = ("plot_overview", "plot_throughput", "plot_rss_over_time",
          "plot_fragmentation", "plot_latency", "plot_scaling")


def render(run, *extra):
    return subprocess.run([PYTHON, str(SCRIPTS / "render_report.py"),
                           str(run), *extra], capture_output=True, text=True,
                          env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})


def check_images(charts):
    pngs = sorted(charts.glob("*.png"))
    assert pngs
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000, png
        svg = png.with_suffix(".svg")
        assert svg.stat().st_size > 0, svg
        ET.parse(svg)  # well-formed XML
    return {p.stem for p in pngs}


@pytest.mark.parametrize("name", ["smoke_run", "failed_run", "shares_run"])
def test_report_renders_every_chart(name, request):
    run = request.getfixturevalue(name)
    proc = render(run)
    assert proc.returncode == 0, proc.stderr
    names = check_images(run / "charts")
    loaded = results.load_run(run)
    assert "overview" in names
    for workload in loaded.workloads:
        assert f"throughput_{workload}" in names
        assert f"rss_{workload}" in names
        assert f"latency_{workload}" in names  # all three sample latency
    for heap in loaded.heaps:
        assert f"fragmentation_{heap}" in names
    html = (run / "report.html").read_text()
    for word in loaded.workloads + loaded.allocators + loaded.heaps:
        assert word in html
    assert "http://" not in html and "https://" not in html
    assert (run / "summary.md").read_text().count("\n|") > 3


@pytest.mark.parametrize("script", CHARTS)
def test_chart_scripts_standalone(script, smoke_run, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([PYTHON, str(SCRIPTS / f"{script}.py"),
                           str(smoke_run), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    if script == "plot_scaling":  # one thread count: nothing to plot
        assert proc.stdout == ""
    else:
        check_images(out)


def test_failed_cells_shown_as_failed(failed_run):
    assert render(failed_run).returncode == 0
    html = (failed_run / "report.html").read_text()
    assert "child killed by signal 11" in html
    assert "noisy: churn mimalloc" in html
    summary = (failed_run / "summary.md").read_text()
    line = next(l for l in summary.splitlines()
                if l.startswith("| json | 1 | malloc | jemalloc |"))
    assert "failed" in line and "0/2" in line
    assert " 0 " not in line and "0.00" not in line


def test_only_failed_cells(smoke_run):
    path = smoke_run / "cells.jsonl"
    rows = []
    for text in path.read_text().splitlines():
        row = json.loads(text)
        rows.append({k: row[k] for k in ("cell_id", "workload", "params",
                                         "threads", "heap", "allocator",
                                         "rep")}
                    | {"status": "failed", "error": "timed out after 600 s"})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    proc = render(smoke_run)
    assert proc.returncode == 0, proc.stderr
    html = (smoke_run / "report.html").read_text()
    assert "Every cell of this run failed" in html
    assert "timed out after 600 s" in html
    assert "failed" in (smoke_run / "summary.md").read_text()


def one_line_error(proc, *words):
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0]


def test_missing_run_directory(tmp_path):
    one_line_error(render(tmp_path / "nope"), "nope", "no such run")


def test_malformed_cells_line(smoke_run):
    path = smoke_run / "cells.jsonl"
    lines = path.read_text().splitlines()
    lines[4] = lines[4][:40]
    path.write_text("\n".join(lines) + "\n")
    one_line_error(render(smoke_run), "cells.jsonl:5", "malformed JSON")


def test_an_ok_cell_without_a_positive_rate(smoke_run):
    path = smoke_run / "cells.jsonl"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if json.loads(line)["status"] == "ok")
    row = json.loads(lines[index])
    row["ops_per_s"] = 0
    lines[index] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    one_line_error(render(smoke_run), f"cells.jsonl:{index + 1}", "positive rate")


def test_future_schema(smoke_run):
    info = json.loads((smoke_run / "run.json").read_text())
    info["schema_version"] = 99
    (smoke_run / "run.json").write_text(json.dumps(info))
    one_line_error(render(smoke_run), "run.json", "schema_version 99")
