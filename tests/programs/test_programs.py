"""End to end: `allocmark exec` and the real-program workloads under every installed allocator."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from allocmark_cli import ALLOCMARK, run_allocmark  # noqa: E402
from run_files import read_run  # noqa: E402

PYTHON = "/usr/bin/python3"


def only_run(results):
    runs = [p for p in results.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 1, runs
    run, cells = read_run(runs[0])
    return runs[0], run, cells


def processes_with(marker):
    """Pids whose command line contains `marker`."""
    pids = []
    for proc in pathlib.Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            pass
    return pids


def redis_servers():
    pids = set()
    for proc in pathlib.Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "redis-server":
                pids.add(int(proc.name))
        except OSError:
            pass
    return pids


def test_exec_python_under_every_allocator(tmp_path):
    results = tmp_path / "results"
    script = "x = [str(i) * 20 for i in range(200000)]; print(len(x))"
    proc = run_allocmark("exec", "--reps", "1", "--out", str(results), "--", PYTHON, "-c", script)
    assert proc.returncode == 0, proc.stderr
    run_dir, run, cells = only_run(results)
    installed = [a["name"] for a in run["allocators"]]
    assert "glibc" in installed
    assert sorted(c["allocator"] for c in cells) == sorted(installed)
    assert run["workloads"]["python3"]["ops_unit"] == "runs"
    for c in cells:
        assert c["status"] == "ok", c
        assert c["workload"] == "python3" and c["heap"] == "malloc"
        assert c["allocator_proven"] == c["allocator"]
        assert c["counters"]["exit_code"] == 0
        # The program's own figures: 200000 strings are well above the child's few MiB.
        assert c["peak_rss_bytes"] > 20 * 2**20
        assert c["user_s"] > 0 and c["wall_s"] > 0 and c["page_faults"] > 0
        series = (run_dir / c["timeseries"]).read_text().splitlines()
        assert series[0] == "t_s,rss_bytes,live_bytes" and len(series) >= 2
        assert "200000" in (run_dir / c["log"]).read_text()


@pytest.mark.parametrize("command", ["no-such-command-allocmark", "/nonexistent/prog", "NOT_EXECUTABLE"])
def test_exec_of_a_missing_command_exits_2_before_running(tmp_path, command):
    if command == "NOT_EXECUTABLE":
        command = str(tmp_path / "plain.txt")
        pathlib.Path(command).write_text("not a program\n")
    results = tmp_path / "results"
    proc = run_allocmark("exec", "--out", str(results), "--", command)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("allocmark: command '")
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not results.exists()


def test_exec_of_a_hanging_command_times_out_and_leaves_nothing(tmp_path):
    marker = "allocmark-hang-" + uuid.uuid4().hex
    results = tmp_path / "results"
    proc = run_allocmark("exec", "--allocators", "glibc", "--reps", "1", "--timeout", "2",
                     "--out", str(results), "--", PYTHON, "-c", f"import time; time.sleep(60)  # {marker}")
    assert proc.returncode == 1, proc.stderr
    _, _, cells = only_run(results)
    assert cells[0]["status"] == "failed"
    assert "timed out" in cells[0]["error"]
    assert processes_with(marker) == []


def test_exec_non_zero_exit_fails_the_cell(tmp_path):
    results = tmp_path / "results"
    proc = run_allocmark("exec", "--allocators", "glibc", "--reps", "1", "--out", str(results),
                     "--", PYTHON, "-c", "import sys; print('bad input'); sys.exit(3)")
    assert proc.returncode == 1
    _, _, cells = only_run(results)
    assert cells[0]["status"] == "failed"
    assert "exited with status 3" in cells[0]["error"] and "bad input" in cells[0]["error"]


def test_program_workloads_smoke_under_every_allocator(tmp_path):
    results = tmp_path / "results"
    before = redis_servers()
    proc = run_allocmark("run", "--workloads", "^program_(python|sqlite|lua|redis)$", "--profile", "smoke",
                     "--reps", "1", "--out", str(results), timeout=500)
    assert proc.returncode == 0, proc.stderr
    _, run, cells = only_run(results)
    installed = {a["name"] for a in run["allocators"]}
    workloads = {"program_python", "program_sqlite", "program_lua", "program_redis"}
    assert {(c["workload"], c["allocator"]) for c in cells} == {(w, a) for w in workloads for a in installed}
    for c in cells:
        assert c["status"] == "ok", c
        assert c["allocator_proven"] == c["allocator"]
        assert c["ops"] > 0 and c["peak_rss_bytes"] > 0 and c["user_s"] >= 0 and c["sys_s"] >= 0
        assert "timeseries" in c
    assert redis_servers() <= before


def test_redis_picks_another_port_when_one_is_taken(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    before = redis_servers()
    try:
        results = tmp_path / "results"
        proc = run_allocmark("run", "--workloads", "^program_redis$", "--profile", "smoke", "--reps", "1",
                         "--allocators", "glibc", "--param", f"program_redis.port={port}",
                         "--out", str(results))
        assert proc.returncode == 0, proc.stderr
        _, _, cells = only_run(results)
        assert cells[0]["status"] == "ok", cells[0]
        assert cells[0]["counters"]["port"] not in (0, port)
    finally:
        taken.close()
    assert redis_servers() <= before


def test_an_interrupted_exec_run_resumes_to_the_whole_cell_set(tmp_path):
    results = tmp_path / "results"
    command = [PYTHON, "-c", "import time; x = [bytearray(1000) for _ in range(1000)]; time.sleep(0.3)"]
    proc = run_allocmark("exec", "--allocators", "glibc", "--reps", "4", "--out", str(results), "--run-id", "whole",
                     "--", *command)
    assert proc.returncode == 0, proc.stderr
    whole = sorted(json.loads(line)["cell_id"] for line in (results / "whole" / "cells.jsonl").read_text().splitlines())

    driver = subprocess.Popen([str(ALLOCMARK), "exec", "--allocators", "glibc", "--reps", "4", "--out", str(results),
                               "--run-id", "part", "--", *command],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    cells = results / "part" / "cells.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not cells.exists() or len(cells.read_text().splitlines()) < 2):
        time.sleep(0.02)
    os.killpg(driver.pid, signal.SIGINT)
    _, stderr = driver.communicate(timeout=60)
    assert driver.returncode == 130, stderr
    assert f"allocmark exec --resume {results / 'part'}" in stderr
    kept = cells.read_text()
    assert 2 <= len(kept.splitlines()) < 4
    assert json.loads((results / "part" / "run.json").read_text())["status"] == "interrupted"

    proc = run_allocmark("exec", "--resume", str(results / "part"))
    assert proc.returncode == 0, proc.stderr
    assert f"{4 - len(kept.splitlines())} of 4 cells to run" in proc.stderr
    final = cells.read_text()
    assert final.startswith(kept), "a finished cell changed"
    assert sorted(json.loads(line)["cell_id"] for line in final.splitlines()) == whole
    run = json.loads((results / "part" / "run.json").read_text())
    assert run["status"] == "complete" and run["cells_recorded"] == 4
    assert all(json.loads(line)["status"] == "ok" for line in final.splitlines())


@pytest.mark.parametrize("args, message", [
    (["--resume", "/nonexistent/run"], "/nonexistent/run"),
    (["--resume", "RUN", "--", "/bin/true"], "--resume takes no command"),
])
def test_exec_resume_refuses_bad_input(tmp_path, args, message):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"schema_version": 1, "matrix": {}}))
    args = [str(run_dir) if a == "RUN" else a for a in args]
    proc = run_allocmark("exec", *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_exec_resume_of_a_run_that_is_not_an_exec_run(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"schema_version": 1, "matrix": {}}))
    proc = run_allocmark("exec", "--resume", str(run_dir))
    assert proc.returncode == 2
    assert "not an exec run" in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--sample-interval-us", "0"], "--sample-interval-us must be at least 1, got 0"),
    (["--timeout", "nan"], "--timeout must be above 0 s and finite"),
    (["--timeout", "0"], "--timeout must be above 0 s and finite"),
])
def test_exec_refuses_bad_limits_before_running(tmp_path, args, message):
    proc = run_allocmark("exec", *args, "--allocators", "glibc", "--out", str(tmp_path), "--", "/bin/true")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"allocmark: {message}"]
    assert list(tmp_path.iterdir()) == []
