"""allocmark run on churn under every installed allocator, and the bad inputs it refuses."""
import csv

import pytest

from conftest import INSTALLED, LIBRARIES, read_run, run_allocmark

TINY = ["--workloads", "^churn$", "--heaps", "malloc", "--profile", "smoke",
        "--param", "ops=5000", "--param", "live_objects=200"]


def test_churn_under_every_installed_allocator_is_proven_and_consistent(results):
    proc = run_allocmark("run", *TINY, "--reps", "2", "--out", str(results), check=0)
    run, cells = read_run(results / "latest")
    assert run["schema_version"] == 1 and run["status"] == "complete"
    assert [a["name"] for a in run["allocators"]] == INSTALLED
    assert len(cells) == 2 * len(INSTALLED) == run["cells_recorded"]
    checksums = set()
    for c in cells:
        assert c["status"] == "ok", c.get("error")
        assert c["allocator_proven"] == c["allocator"]
        assert c["ops"] == 5000 + 200
        assert c["wall_s"] > 0 and c["ops_per_s"] > 0
        assert c["ops_per_s"] == pytest.approx(c["ops"] / c["wall_s"], rel=0.01)
        assert c["peak_rss_bytes"] >= c["baseline_rss_bytes"] > 0
        assert c["peak_live_bytes"] > 0
        # A few KiB live: too few for a fragmentation headline; the
        # whole-process ratio stays under its own name.
        assert c["peak_live_bytes"] < 1 << 20 and "fragmentation" not in c
        assert c["process_rss_over_live"] == pytest.approx(c["peak_rss_bytes"] / c["peak_live_bytes"])
        assert c["p50_ns"] <= c["p99_ns"] <= c["max_ns"]
        assert c["page_faults"] >= 0 and c["user_s"] >= 0
        checksums.add(c["request_checksum"])
        rows = list(csv.DictReader(open(results / "latest" / c["timeseries"])))
        assert len(rows) >= 2 and int(rows[-1]["rss_bytes"]) > 0
    assert len(checksums) == 1, "every allocator must meet the same requests"
    # Interleaved: the second repetition runs the allocators in reverse order.
    order = [c["allocator"] for c in cells]
    assert order == INSTALLED + INSTALLED[::-1]
    assert "vs glibc" in proc.stdout and "churn" in proc.stdout


@pytest.mark.skipif("mimalloc" not in INSTALLED or "jemalloc" not in INSTALLED,
                    reason="needs jemalloc and mimalloc")
def test_a_named_allocator_served_by_another_library_fails_its_cells(results):
    mimalloc = str(LIBRARIES["mimalloc"])
    proc = run_allocmark("run", *TINY, "--allocators", "jemalloc",
                         "--allocator", f"jemalloc={mimalloc}", "--out", str(results))
    assert proc.returncode == 1
    _, cells = read_run(results / "latest")
    assert cells and all(c["status"] == "failed" for c in cells)
    assert "served by mimalloc" in cells[0]["error"]
    assert "ops_per_s" not in cells[0]


@pytest.mark.skipif("mimalloc" not in INSTALLED, reason="needs mimalloc")
def test_a_user_named_library_is_proven_by_its_path(results):
    run_allocmark("run", *TINY, "--allocators", "mine",
                  "--allocator", f"mine={LIBRARIES['mimalloc']}", "--out", str(results), check=0)
    _, cells = read_run(results / "latest")
    assert cells[0]["status"] == "ok"
    assert cells[0]["allocator_library"].endswith("libmimalloc.so.2.0") or "mimalloc" in cells[0]["allocator_library"]


@pytest.mark.parametrize("args, message", [
    (["--allocator", "jemalloc=/nonexistent.so"], "no such file '/nonexistent.so'"),
    (["--allocator", "fake=/etc/hostname"], "does not serve malloc when preloaded"),
    (["--workloads", "larsen-nope"], "unknown workload 'larsen-nope' (known: "),
    (["--allocators", "hoard"], "unknown allocator 'hoard' (known: glibc, jemalloc, tcmalloc, mimalloc"),
    (["--heaps", "bump"], "unknown heap 'bump' (known: malloc"),
    (["--reps", "0"], "--reps must be at least 1"),
    (["--reps", "-3"], "--reps must be at least 1"),
    (["--reps", "many"], "allocmark:"),
    (["--threads", "0"], "--threads counts must be at least 1"),
    (["--profile", "fast"], "unknown profile 'fast'"),
    (["--param", "ops=-1"], "must be at least 1"),
    (["--timeout", "0"], "--timeout must be above 0 s"),
    (["--verify", "fast"], "--verify takes canary or full, got 'fast'"),
])
def test_bad_input_is_one_line_and_exit_2_before_anything_runs(results, args, message):
    proc = run_allocmark("run", *TINY, *args, "--out", str(results))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("allocmark: "), proc.stderr
    assert message in lines[0]
    assert not (results / "latest").exists()


def test_an_out_directory_that_cannot_be_written_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = run_allocmark("run", *TINY, "--out", str(blocker))
    assert proc.returncode == 2
    assert "cannot create the results directory" in proc.stderr


def test_list_shows_workloads_heaps_and_allocator_versions():
    proc = run_allocmark("list", check=0)
    assert "churn" in proc.stdout and "live_objects" in proc.stdout
    assert "pmr-monotonic" in proc.stdout
    for name in INSTALLED:
        line = next(l for l in proc.stdout.splitlines() if l.strip().startswith(name + " "))
        assert "not found" not in line and any(ch.isdigit() for ch in line)
    if "mimalloc" in INSTALLED:
        assert str(LIBRARIES["mimalloc"]) in proc.stdout


def test_the_fragmentation_headline_excludes_what_was_resident_before(results):
    proc = run_allocmark("run", "--workloads", "^churn$", "--heaps", "malloc", "--profile", "smoke",
                         "--param", "live_objects=20000", "--param", "ops=20000",
                         "--allocators", "glibc", "--out", str(results), "--run-id", "frag", check=0)
    _, cells = read_run(results / "frag")
    [c] = cells
    assert c["status"] == "ok", c.get("error")
    assert c["peak_live_bytes"] >= 1 << 20
    above_baseline = c["peak_rss_bytes"] - c["baseline_rss_bytes"]
    assert c["fragmentation"] == pytest.approx(above_baseline / c["peak_live_bytes"])
    assert c["fragmentation"] == c["frag_max_over_max"]
    # The trace and the binary are resident before the timed region: the
    # whole-process ratio is larger, and is no headline.
    assert c["process_rss_over_live"] > c["fragmentation"] >= 1.0
