"""make test-slurm: docker/fleet/slurm.sh on a real single-node Slurm cluster.

The array job runs the shards of a smoke matrix with build/allocmark (directly,
not in a container: ALLOCMARK names the command), the merge job waits for it
with --dependency=afterok, and the merged run must hold exactly the cells of an
unsharded run of the same matrix.
"""
import pathlib
import re
import subprocess

import sys

import pytest

from local_slurm import LocalSlurm

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from allocmark_cli import ALLOCMARK, run_allocmark  # noqa: E402
from run_files import cell_set, read_run  # noqa: E402

SLURM_SH = REPO / "docker/fleet/slurm.sh"
MATRIX = ["--profile", "smoke", "--threads", "1,2", "--reps", "1"]
SHARDS = 3


@pytest.fixture(scope="module")
def slurm():
    with LocalSlurm() as cluster:
        yield cluster


def submit(slurm, results, *args, **env):
    """docker/fleet/slurm.sh as a user runs it; returns (array job id, merge job id)."""
    proc = subprocess.run([str(SLURM_SH), str(SHARDS), str(results), *args], capture_output=True, text=True,
                          env=dict(slurm.env, ALLOCMARK=str(ALLOCMARK), **env))
    assert proc.returncode == 0, proc.stderr
    match = re.search(r"array job (\d+) .*merge job (\d+)", proc.stdout)
    assert match, proc.stdout
    return match.group(1), match.group(2)


def test_sharded_slurm_run_equals_the_unsharded_run(slurm, tmp_path):
    whole_run = run_allocmark("run", *MATRIX, "--out", tmp_path, "--run-id", "whole")
    assert whole_run.returncode in (0, 1), whole_run.stderr  # 1: a cell failed, and is a cell all the same
    _, whole = read_run(tmp_path / "whole")

    array, merge = submit(slurm, tmp_path / "fleet", *MATRIX, RUN_ID="matrix")
    dependency = slurm.job_state(merge)["Dependency"]  # (null) once met
    assert dependency.startswith(f"afterok:{array}") or dependency == "(null)"
    state = slurm.wait_for_job(merge, timeout_s=600)
    shards = tmp_path / "fleet/matrix.shards"
    logs = "".join(p.read_text() for p in sorted(shards.glob("slurm-*.out")))
    assert state["JobState"] == "COMPLETED", f"merge job {merge}: {state}\n{logs}"

    run, merged = read_run(tmp_path / "fleet/matrix")
    assert cell_set(merged) == cell_set(whole)
    assert run["status"] == "complete" and run["cells_planned"] == len(whole)
    assert sorted(s["shard"]["index"] for s in run["shards"]) == list(range(1, SHARDS + 1))
    assert all(s["shard"]["count"] == SHARDS for s in run["shards"])
    for i in range(1, SHARDS + 1):
        assert slurm.job_state(f"{array}_{i}")["JobState"] == "COMPLETED"


def test_a_failed_shard_holds_the_merge_back(slurm, tmp_path):
    # An unknown workload is a usage error (exit 2) in every task: afterok never holds.
    array, merge = submit(slurm, tmp_path, "--workloads", "no-such-workload", RUN_ID="bad")
    state = slurm.wait_for_job(merge, timeout_s=300)
    assert state["JobState"] != "COMPLETED"
    assert not (tmp_path / "bad/run.json").exists()
    subprocess.run(["scancel", merge], env=slurm.env, check=False)
