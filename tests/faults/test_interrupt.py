"""Interrupted runs: SIGINT, SIGTERM and SIGKILL of the driver in the middle of a
run, then `allocmark run --resume DIR`, must end with exactly the cell set of
an uninterrupted run: every cell finished before the interruption kept as it
was, nothing measured twice, nothing missing, every cell ok, and valid files
at every step. The signal is sent once cells.jsonl holds a few finished cells,
so it lands mid-run whatever the machine's speed.
"""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from conftest import ALLOCMARK, FAULT_DIR, INSTALLED, TALLY, read_run, run_allocmark

SECOND = next((name for name in ("jemalloc", "mimalloc", "tcmalloc") if name in INSTALLED), None)
ALLOCATORS = "glibc" + (f",{SECOND}" if SECOND else "")
# About 12 cells of a quarter of a second each.
MATRIX = ["--workloads", "^churn$", "--heaps", "malloc", "--profile", "smoke", "--param", "ops=1000000",
          "--allocators", ALLOCATORS, "--reps", "6" if SECOND else "12"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The cell ids of an uninterrupted run of MATRIX, in order."""
    out = tmp_path_factory.mktemp("reference")
    run_allocmark("run", *MATRIX, "--out", out, "--run-id", "whole", check=0)
    run, cells = read_run(out / "whole")
    assert run["status"] == "complete" and all(c["status"] == "ok" for c in cells)
    return [c["cell_id"] for c in cells]


def children_of(pid):
    """Pids whose parent is `pid` (the cell or probe child the driver runs now)."""
    found = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def cmdline(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def interrupt(run_dir, sig, after_cells, resume=False):
    """Starts (or resumes) MATRIX into run_dir, sends `sig` to the driver once
    cells.jsonl holds `after_cells` more lines, and returns the exit status."""
    args = ["run", "--resume", str(run_dir)] if resume else \
        ["run", *MATRIX, "--out", str(run_dir.parent), "--run-id", run_dir.name]
    cells_file = run_dir / "cells.jsonl"
    before = len(cells_file.read_text().splitlines()) if cells_file.exists() else 0
    # A session of its own, so that SIGINT can go to the whole group as a
    # terminal's Ctrl-C does.
    proc = subprocess.Popen([str(ALLOCMARK), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if cells_file.exists() and len(cells_file.read_text().splitlines()) >= before + after_cells:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be interrupted: make MATRIX longer"
    running = children_of(proc.pid)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=120)
    # No cell child outlives its driver, whatever killed the driver.
    deadline = time.monotonic() + 30
    while any(alive(p) for p in running) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in running), f"children {running} outlived the driver"
    return proc.returncode, err


def check_files(run_dir, statuses):
    """The files an interrupted driver left are valid; returns the rows kept."""
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] in statuses, run["status"]
    lines = (run_dir / "cells.jsonl").read_text().splitlines()
    cells = [json.loads(line) for line in lines]
    ids = [c["cell_id"] for c in cells]
    assert len(ids) == len(set(ids)), "a cell was recorded twice"
    for c in cells:
        assert c["status"] == "ok", f"an interrupted cell was recorded: {c}"
        assert (run_dir / c["timeseries"]).exists()
    assert not (run_dir / "run.json.tmp").exists()
    return lines


def resume_to_the_end(run_dir, kept_lines, reference):
    proc = run_allocmark("run", "--resume", run_dir, check=0)
    assert f"{len(reference) - len(kept_lines)} of {len(reference)} cells to run" in proc.stderr
    run, cells = read_run(run_dir)
    lines = (run_dir / "cells.jsonl").read_text().splitlines()
    assert lines[:len(kept_lines)] == kept_lines, "a finished cell was lost or changed"
    ids = [c["cell_id"] for c in cells]
    assert sorted(ids) == sorted(reference) and len(ids) == len(set(ids))
    assert all(c["status"] == "ok" and c["ops_per_s"] > 0 for c in cells)
    assert run["status"] == "complete" and run["cells_recorded"] == len(reference)
    TALLY["interruptions resumed to the uninterrupted cell set"] += 1
    TALLY["finished cells kept across an interruption"] += len(kept_lines)


@pytest.mark.parametrize("sig, exit_status, statuses", [
    (signal.SIGINT, 130, {"interrupted"}),
    (signal.SIGTERM, 130, {"interrupted"}),
    (signal.SIGKILL, -signal.SIGKILL, {"running"}),
], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_an_interrupted_run_resumes_to_the_uninterrupted_cell_set(tmp_path, reference, sig, exit_status,
                                                                   statuses):
    run_dir = tmp_path / "results" / "r"
    status, err = interrupt(run_dir, sig, after_cells=3)
    assert status == exit_status, err
    if sig != signal.SIGKILL:
        assert f"allocmark run --resume {run_dir}" in err
    kept = check_files(run_dir, statuses)
    assert 3 <= len(kept) < len(reference)
    resume_to_the_end(run_dir, kept, reference)


def test_a_resumed_run_can_be_interrupted_and_resumed_again(tmp_path, reference):
    run_dir = tmp_path / "results" / "r"
    assert interrupt(run_dir, signal.SIGTERM, after_cells=2)[0] == 130
    first = check_files(run_dir, {"interrupted"})
    assert interrupt(run_dir, signal.SIGINT, after_cells=2, resume=True)[0] == 130
    kept = check_files(run_dir, {"interrupted"})
    assert kept[:len(first)] == first and len(kept) >= len(first) + 2
    TALLY["interruptions resumed to the uninterrupted cell set"] += 1
    resume_to_the_end(run_dir, kept, reference)


def test_a_torn_last_line_does_not_swallow_the_next_cell(tmp_path, reference):
    # What a driver killed in the middle of writing a line (or a machine that
    # lost power) leaves: a last line with no newline.
    run_dir = tmp_path / "results" / "r"
    assert interrupt(run_dir, signal.SIGKILL, after_cells=3)[0] == -signal.SIGKILL
    kept = check_files(run_dir, {"running"})
    with open(run_dir / "cells.jsonl", "a") as f:
        f.write('{"cell_id": "churn-t1-malloc-glibc-r5", "status": "o')
    resume_to_the_end(run_dir, kept, reference)


def test_resuming_a_complete_run_runs_nothing(tmp_path, reference):
    out = tmp_path / "results"
    run_allocmark("run", *MATRIX, "--out", out, "--run-id", "done", check=0)
    before = (out / "done" / "cells.jsonl").read_text()
    proc = run_allocmark("run", "--resume", out / "done", check=0)
    assert f"0 of {len(reference)} cells to run" in proc.stderr
    assert (out / "done" / "cells.jsonl").read_text() == before


def stop_once_started(proc, sig, marker, what):
    """Waits for a child of the driver whose command line holds `marker`, then
    stops the driver with `sig` as a terminal would (SIGINT to the group);
    returns the children found."""
    deadline = time.monotonic() + 60
    found = []
    while not found and time.monotonic() < deadline:
        found = [p for p in children_of(proc.pid) if marker in cmdline(p)]
        time.sleep(0.01)
    assert found, f"{what} never started"
    os.killpg(proc.pid, sig) if sig == signal.SIGINT else os.kill(proc.pid, sig)
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_stopped_driver_takes_its_hanging_cell_with_it(tmp_path, sig):
    out = tmp_path / "results"
    library = FAULT_DIR / "libfault_hang.so"
    proc = subprocess.Popen([str(ALLOCMARK), "run", "--workloads", "^churn$", "--heaps", "malloc",
                             "--profile", "smoke", "--allocators", "hang", "--allocator", f"hang={library}",
                             "--timeout", "600", "--out", str(out), "--run-id", "h"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    cell_child = stop_once_started(proc, sig, b"allocmark-child\0run\0", "the cell")
    proc.communicate(timeout=60)
    assert proc.returncode == (130 if sig != signal.SIGKILL else -signal.SIGKILL)
    deadline = time.monotonic() + 30
    while alive(cell_child[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(cell_child[0]), "the hanging cell outlived its driver"
    run, cells = read_run(out / "h")
    assert run["status"] == ("running" if sig == signal.SIGKILL else "interrupted")
    assert cells == [], "a cell that did not finish was recorded"
    TALLY["interruptions during a running cell that recorded nothing unfinished"] += 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_during_the_allocator_probe_ends_the_run_before_it_writes_anything(tmp_path, sig):
    # The hang library armed at start makes the probe itself hang: the signal
    # certainly lands while the driver waits for it.
    out = tmp_path / "results"
    library = FAULT_DIR / "libfault_hang.so"
    proc = subprocess.Popen([str(ALLOCMARK), "run", "--workloads", "^churn$", "--heaps", "malloc",
                             "--profile", "smoke", "--allocators", "hang", "--allocator", f"hang={library}",
                             "--out", str(out), "--run-id", "p"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, ALLOCMARK_FAULT_ARM="start", ALLOCMARK_FAULT_AFTER="0"))
    probe = stop_once_started(proc, sig, b"allocmark-child\0probe", "the probe")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == \
        "allocmark: interrupted while probing the allocators; nothing was written"
    assert not (out / "p").exists()
    deadline = time.monotonic() + 30
    while alive(probe[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(probe[0]), "the hanging probe outlived its driver"
    TALLY["interruptions during the allocator probe that wrote nothing"] += 1
