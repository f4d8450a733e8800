"""allocmark record --workloads: the programs of the real-program workloads,
recorded as allocmark run runs them, each trace proven to have reached the
allocator asked for, and replayed."""
import json
import os
import pathlib
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BUILD, INSTALLED, need_allocmark, read_run, run_allocmark

LUA = "/usr/bin/lua5.4"


@pytest.mark.skipif(not shutil.which(LUA), reason="lua5.4 is not installed (make deps)")
@pytest.mark.parametrize("allocator", sorted({INSTALLED[0], INSTALLED[-1]}))
def test_a_program_workload_is_recorded_under_its_allocator_and_replays(tmp_path, allocator):
    need_allocmark()
    out = tmp_path / "rec"
    proc = run_allocmark("record", "--workloads", "^program_lua$", "--profile", "smoke",
                         "--allocator", allocator, "-o", out)
    assert proc.returncode == 0, proc.stderr
    run, cells = read_run(out)
    assert [c["status"] for c in cells] == ["ok"]
    assert cells[0]["allocator"] == allocator
    listed = json.loads((out / "traces" / "traces.json").read_text())
    assert [t["trace"] for t in listed] == ["traces/program_lua-t1.trace"]
    trace = listed[0]
    assert trace["complete"] and trace["events"] > 1000
    # The recorded program's calls reached the allocator the child proved.
    served = os.path.realpath(cells[0]["allocator_library"])
    assert trace["malloc_object"] == served

    p = json.loads(run_allocmark("profile", out / trace["trace"], "--json", check=0).stdout)
    assert p["calls"] == trace["events"]
    assert p["allocator"] == allocator
    proc = run_allocmark("replay", out / trace["trace"], "--allocators", allocator, "--reps", "1",
                         "--out", tmp_path / "results", "--run-id", "r")
    assert proc.returncode == 0, proc.stderr
    _, replayed = read_run(tmp_path / "results" / "r")
    assert [c["status"] for c in replayed] == ["ok"]
    assert replayed[0]["peak_live_bytes"] == p["live_bytes"]["peak_bytes"]


@pytest.mark.parametrize("args, message", [
    (["--workloads", "^churn$"], "start no program"),
    (["--workloads", "^nothing$"], "matches no program_* workload"),
    (["--workloads", "^program_lua$", "--", "/bin/true"], "not both"),
    (["--workloads", "("], "--workloads '('"),
])
def test_record_workloads_refuses_what_it_cannot_record(tmp_path, args, message):
    need_allocmark()
    proc = run_allocmark("record", "-o", tmp_path / "rec", *args)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "rec" / "run.json").exists()


def test_record_workloads_keeps_an_earlier_recording(tmp_path):
    need_allocmark()
    out = tmp_path / "rec"
    out.mkdir()
    (out / "run.json").write_text("{}")
    proc = run_allocmark("record", "--workloads", "^program_lua$", "-o", out)
    assert proc.returncode == 2 and "already holds a recording" in proc.stderr
    assert (out / "run.json").read_text() == "{}"


@pytest.mark.skipif(not shutil.which(LUA), reason="lua5.4 is not installed (make deps)")
def test_replay_vs_program_writes_both_orders_and_the_recorders_cost(tmp_path):
    """scripts/replay_vs_program.py end to end on one workload: the document
    has the workload's recording cost, both orders and a reading."""
    need_allocmark()
    if len(INSTALLED) < 2:
        pytest.skip("no process allocator besides glibc is installed (make deps)")
    allocators = [INSTALLED[0], INSTALLED[-1]]
    doc = tmp_path / "doc.md"
    script = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "replay_vs_program.py"
    proc = subprocess.run(
        ["/usr/bin/python3", str(script), "--build", str(BUILD), "--workloads", "^program_lua$",
         "--allocators", ",".join(allocators), "--reps", "3", "--profile", "smoke",
         "--scratch", str(tmp_path / "scratch"), "-o", str(doc)],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = doc.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| program_lua | 1 |")]
    assert len(rows) == 2  # the recording's cost, the two orders
    cost, orders = rows
    assert cost.rstrip().endswith("x |")  # a slowdown was measured
    assert " > ".join(allocators) in orders or " > ".join(reversed(allocators)) in orders
    assert "- **program_lua, 1 thread(s)**: its allocation calls" in text
    # The header names the commit the runs were made at (a --reuse later
    # must not stamp its own).
    revision = json.loads((tmp_path / "scratch" / "programs" / "run.json").read_text())[
        "environment"]["git_revision"]
    assert f"at commit {revision[:7]}" in text


def test_replay_vs_program_refuses_what_it_cannot_use_in_one_line(tmp_path):
    script = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "replay_vs_program.py"

    def refused(*args):
        proc = subprocess.run(["/usr/bin/python3", str(script), *map(str, args)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and proc.stdout == "", proc.stdout + proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        return proc.stderr

    assert "is missing" in refused("--scratch", tmp_path / "none", "--reuse")
    assert not (tmp_path / "none").exists()
    (tmp_path / "old").mkdir()
    assert "must be a new directory" in refused("--scratch", tmp_path / "old")
    assert "at least one more" in refused("--scratch", tmp_path / "new", "--allocators", "glibc")
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(not shutil.which(LUA), reason="lua5.4 is not installed (make deps)")
def test_an_interrupted_recording_keeps_its_traces_and_names_no_resume(tmp_path):
    """`run --resume` would finish a recording without the recorder: an
    interrupted recording says where its traces are and offers no resume."""
    need_allocmark()
    out = tmp_path / "rec"
    proc = subprocess.Popen([str(BUILD / "allocmark"), "record", "--workloads",
                             "^program_(lua|sqlite|jq|clang)$", "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cells = out / "cells.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if cells.exists() and cells.read_text().count("\n") >= 1:
            proc.send_signal(signal.SIGINT)
            break
        time.sleep(0.01)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "--resume" not in stderr
    assert f"its traces so far are in {out / 'traces'}" in stderr
    assert (out / "traces" / "program_clang-t1.trace").exists()
    # Nor does `run --resume` accept it: it would run the rest unrecorded.
    before = cells.read_text()
    resumed = run_allocmark("run", "--resume", out)
    assert resumed.returncode == 2, resumed.stderr
    assert resumed.stderr.strip() == (f"allocmark: {out} is a recording (allocmark record), which "
                                      "cannot be resumed: record again with another -o"), resumed.stderr
    assert cells.read_text() == before
