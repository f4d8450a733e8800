"""The workload suite under the real driver: every cell ok, the same requests under every allocator."""
import collections
import json
import pathlib
import re

import pytest

from conftest import INSTALLED, SUITE, read_run, run_allocmark


def declared_heaps():
    """{workload: [heaps]} from `allocmark list --json`."""
    listing = json.loads(run_allocmark("list", "--json", check=0).stdout)
    return {w["name"]: w["heaps"] for w in listing["workloads"]}


def test_every_workload_allocator_and_heap_runs_ok(smoke_cells):
    failed = [(c["cell_id"], c.get("error")) for c in smoke_cells if c["status"] != "ok"]
    assert not failed
    heaps = declared_heaps()
    seen = collections.defaultdict(set)
    for c in smoke_cells:
        seen[c["workload"]].add((c["heap"], c["allocator"]))
    for workload in SUITE:
        expected = {(h, a) for h in heaps[workload] for a in INSTALLED}
        assert seen[workload] == expected, workload


def test_every_cell_reports_its_figures(smoke_cells):
    for c in smoke_cells:
        assert c["ops"] > 0 and c["wall_s"] > 0, c["cell_id"]
        # nlohmann::json's blocks come from operator new: not counted.
        assert c["peak_live_bytes"] > 0 or c["workload"] == "json_nlohmann", c["cell_id"]
        assert c["user_s"] >= 0 and c["sys_s"] >= 0 and c["page_faults"] >= 0, c["cell_id"]
        assert re.fullmatch(r"[0-9a-f]{16}", c["request_checksum"]), c["cell_id"]


@pytest.mark.skipif("mimalloc" not in INSTALLED, reason="needs mimalloc")
def test_request_checksum_is_identical_under_glibc_and_mimalloc(smoke_cells):
    by_cell = collections.defaultdict(dict)
    for c in smoke_cells:
        by_cell[(c["workload"], c["threads"], c["heap"])][c["allocator"]] = c["request_checksum"]
    assert {w for w, _, _ in by_cell} == set(SUITE)
    for key, sums in by_cell.items():
        assert sums["glibc"] == sums["mimalloc"], key
        assert len(set(sums.values())) == 1, key
    # The requests do not depend on the heap either.
    by_workload = collections.defaultdict(set)
    for (workload, threads, _), sums in by_cell.items():
        by_workload[(workload, threads)].add(sums["glibc"])
    for key, sums in by_workload.items():
        assert len(sums) == 1, key


def test_latency_samples_where_the_workload_times_them(smoke_cells):
    for c in smoke_cells:
        if c["workload"] in ("frame_arena", "producer_consumer", "json", "churn"):
            assert c["latency_samples"] > 0 and c["p50_ns"] <= c["p99_ns"] <= c["max_ns"], c["cell_id"]
        if c["workload"] == "frame_arena":
            assert c["latency_samples"] == c["ops"], "one sample per frame"


def test_fragmentation_reports_rss_and_live_bytes_per_phase(smoke_cells):
    cells = [c for c in smoke_cells if c["workload"] == "fragmentation"]
    assert cells
    for c in cells:
        counters = c["counters"]
        for phase in (1, 2, 3, 4):
            assert counters[f"rss_after_phase{phase}_bytes"] > 0, c["cell_id"]
        assert counters["live_after_phase1_bytes"] > counters["live_after_phase2_bytes"] > 0
        assert counters["live_after_phase4_bytes"] == 0


def test_large_touches_its_pages(smoke_cells):
    cells = [c for c in smoke_cells if c["workload"] == "large"]
    # One cell per heap, allocator and thread count of the smoke run.
    assert sorted((c["heap"], c["allocator"], c["threads"]) for c in cells) == \
        sorted((h, a, t) for h in declared_heaps()["large"] for a in INSTALLED for t in (1, 2))
    for c in cells:
        assert c["counters"]["bytes_allocated"] >= 64 * 1024 * c["ops"]
        assert c["page_faults"] > 0 and c["peak_rss_bytes"] >= 64 * 1024 * 8


def run_json(tmp_path, *args, env=None, workloads="^json$"):
    out = tmp_path / "results"
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", workloads, "--heaps", "malloc",
                         "--allocators", "glibc", "--out", str(out), *args, env=env)
    _, cells = read_run(out / "latest")
    return proc, cells


MDN_CORPUS = (pathlib.Path("/usr/share/nodejs") / "@mdn"
              / "browser-compat-data" / "data.json")


def test_json_parses_the_mdn_corpus(tmp_path):
    proc, cells = run_json(tmp_path, "--param", "json.mdn_passes=1")
    assert [c["status"] for c in cells] == ["ok"], cells[0].get("error")
    assert cells[0]["counters"]["bytes_parsed"] > 10_000_000


def test_json_fails_the_cell_when_a_corpus_file_is_missing(tmp_path):
    proc, cells = run_json(tmp_path, "--param", "json.mdn_passes=1",
                           env={"ALLOCMARK_MDN_BCD_JSON": str(tmp_path / "absent.json")})
    assert proc.returncode == 1, proc.stderr
    assert cells[0]["status"] == "failed"
    assert "absent.json is missing" in cells[0]["error"] and "make deps" in cells[0]["error"]


def test_json_fails_the_cell_when_a_corpus_file_is_malformed(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"browsers": {"firefox": [1, 2,]}}')
    proc, cells = run_json(tmp_path, "--param", "json.mdn_passes=1",
                           env={"ALLOCMARK_MDN_BCD_JSON": str(bad)})
    assert proc.returncode == 1, proc.stderr
    assert cells[0]["status"] == "failed"
    assert "bad.json is not valid JSON" in cells[0]["error"] and "at byte 31" in cells[0]["error"]


def test_the_json_libraries_parse_the_mdn_corpus_and_agree_on_its_bytes(tmp_path):
    proc, cells = run_json(tmp_path, "--param", "mdn_passes=1", "--param", "iso_codes_passes=0",
                           "--param", "generated_documents=0", workloads="^json")
    assert sorted(c["workload"] for c in cells) == \
        ["json", "json_nlohmann", "json_rapidjson", "json_rapidjson_pool"]
    assert all(c["status"] == "ok" for c in cells), [c.get("error") for c in cells]
    assert len({c["counters"]["bytes_parsed"] for c in cells}) == 1
    assert len({c["request_checksum"] for c in cells}) == 1, "the same documents for every library"


@pytest.mark.parametrize("workload, reason", [
    ("json_nlohmann", "nlohmann::json refused it"),
    ("json_rapidjson", "Invalid value. at byte 31"),
    ("json_rapidjson_pool", "Invalid value. at byte 31"),
])
def test_a_library_that_refuses_a_document_fails_the_cell_with_its_reason(tmp_path, workload, reason):
    bad = tmp_path / "bad.json"
    bad.write_text('{"browsers": {"firefox": [1, 2,]}}')
    proc, cells = run_json(tmp_path, "--param", f"{workload}.mdn_passes=1", workloads=f"^{workload}$",
                           env={"ALLOCMARK_MDN_BCD_JSON": str(bad)})
    assert proc.returncode == 1, proc.stderr
    assert cells[0]["status"] == "failed"
    assert "bad.json is not valid JSON: " + reason in cells[0]["error"], cells[0]["error"]
