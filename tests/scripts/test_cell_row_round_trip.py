"""The golden round trip: rows written by the harness's writer (CellRow and
RunStore::AppendCell, through tests/scripts/write_cell_row.cc) read back by
scripts/allocmark_results.py with every figure of harness/figures.json
intact, and the table the two sides share."""
import json
import os
import pathlib
import subprocess

import pytest

import allocmark_results as results
from conftest import ROOT

WRITER = os.environ.get("ALLOCMARK_CELL_ROW_WRITER")


@pytest.fixture
def golden(tmp_path):
    if not WRITER:
        pytest.skip("ALLOCMARK_CELL_ROW_WRITER is not set (ctest sets it)")
    subprocess.run([WRITER, str(tmp_path)], check=True, timeout=60)
    return results.load_run(tmp_path / "golden")


def test_every_figure_the_harness_writes_reads_back_exactly(golden):
    ok = golden.cells[0]
    assert ok.ok
    assert list(ok.metrics) == list(results.METRICS)
    for i, name in enumerate(results.METRICS):
        assert ok.metrics[name] == 1 / (i + 3), name


def test_the_rest_of_the_row_reads_back(golden):
    ok = golden.cells[0]
    assert (ok.cell_id, ok.workload, ok.params, ok.threads, ok.heap,
            ok.allocator, ok.rep) == ("churn-t2-malloc-jemalloc-r1", "churn",
                                      {"live_blocks": 4096}, 2, "malloc",
                                      "jemalloc", 1)
    assert ok.allocator_stats == {"jemalloc.allocated_bytes": 4096}
    assert ok.counters == {"frames": 60}
    assert ok.timeseries == "timeseries/churn-t2-malloc-jemalloc-r1.csv"
    assert ok.raw["allocator_proven"] == "jemalloc"
    assert ok.raw["request_checksum"] == "00000000deadbeef"
    assert ok.raw["seed"] == 42 and ok.raw["elapsed_s"] == 0.5


def test_a_failed_row_carries_its_reason_and_no_figure(golden):
    failed = golden.cells[1]
    assert not failed.ok
    assert failed.error == "the workload reported no operations or no time"
    assert failed.metrics == {}
    assert not set(results.METRICS) & set(failed.raw)
    assert "timeseries" not in failed.raw


def test_the_reader_takes_its_figures_from_the_table():
    with open(ROOT / "harness" / "figures.json", encoding="utf-8") as f:
        table = json.load(f)["figures"]
    assert results.METRICS == tuple(e["name"] for e in table)
    assert results.SHARES == tuple(e["name"] for e in table
                                   if e["kind"] == "fraction")
    assert results.MEANINGS["fragmentation"] == \
        "peak resident above baseline / peak live bytes"


def test_a_name_outside_the_table_is_refused():
    assert results.figure_name("p99_ns") == "p99_ns"
    with pytest.raises(ValueError, match="'p95_ns' is not a figure"):
        results.figure_name("p95_ns")


@pytest.mark.parametrize("table, problem", [
    ('{"figures": {}}', "'figures' is not a list"),
    ('{"figures": [{"name": "x", "unit": "s", "kind": "count"}]}',
     "figure 0 lacks a name, unit, kind or meaning"),
    ('{"figures": [{"name": "x", "unit": "s", "kind": "faster", '
     '"meaning": "m"}]}', "unknown kind 'faster'"),
    ("[", "not the table of figures"),
])
def test_a_malformed_table_is_refused_with_its_problem(tmp_path, table,
                                                       problem):
    path = tmp_path / "figures.json"
    path.write_text(table)
    with pytest.raises(results.ResultError, match=problem):
        results.load_figures(path)


@pytest.mark.parametrize("doc", ["docs/methodology.md", "results/README.md"])
def test_the_documents_name_every_figure(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = [n for n in results.METRICS if f"`{n}`" not in text]
    assert not missing, f"{doc} does not describe {missing}"
