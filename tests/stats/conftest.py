"""Fixtures for the statistics tests: the scripts on sys.path, the built
allocmark (ALLOCMARK_BUILD, as ctest sets it), synthetic and real runs."""
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(0, str(ROOT / "tests"))
# The tests import these from here.
from allocmark_cli import need_allocmark, run_allocmark  # noqa: E402,F401
from run_files import read_run  # noqa: E402,F401

PYTHON = "/usr/bin/python3"
COMPARE = SCRIPTS / "compare_runs.py"

PARAMS = {"ops": 100}


def write_run(path, series, run_id=None, schema_version=1):
    """A synthetic run directory. `series`: {(workload, allocator): [ops_per_s
    of each repetition]}; every series has threads 1, heap malloc."""
    path.mkdir(parents=True)
    allocators = list(dict.fromkeys(a for _, a in series))
    info = {"schema_version": schema_version, "run_id": run_id or path.name,
            "allocators": [{"name": a} for a in allocators],
            "workloads": {w: {"ops_unit": "ops"} for w, _ in series}}
    (path / "run.json").write_text(json.dumps(info))
    lines = []
    for (workload, allocator), values in series.items():
        for rep, value in enumerate(values):
            lines.append(json.dumps({
                "cell_id": f"{workload}-t1-malloc-{allocator}-r{rep}",
                "workload": workload, "params": PARAMS, "threads": 1,
                "heap": "malloc", "allocator": allocator, "rep": rep,
                "status": "ok", "ops": 1000.0, "ops_per_s": value,
                "wall_s": 1000.0 / value, "frag_time_avg": 1.0 + rep / 10}))
    (path / "cells.jsonl").write_text("\n".join(lines) + "\n")
    return path


def compare(*args):
    """Runs compare_runs.py; returns the CompletedProcess (text)."""
    return subprocess.run([PYTHON, str(COMPARE), *map(str, args)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def smoke_run(tmp_path_factory):
    """A small real run: churn at the smoke profile, glibc and jemalloc,
    three repetitions."""
    need_allocmark()
    out = tmp_path_factory.mktemp("results")
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", "^churn$",
                         "--heaps", "malloc", "--allocators", "glibc,jemalloc",
                         "--reps", "3", "--out", out, "--run-id", "smoke")
    assert proc.returncode == 0, proc.stderr
    return out / "smoke"
