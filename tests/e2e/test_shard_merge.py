"""--shard I/N and allocmark merge: shards together hold exactly the cells of an unsharded run."""

import pytest

from conftest import run_allocmark
from run_files import cell_set, read_run

MATRIX = ["--workloads", "^churn$", "--profile", "smoke", "--threads", "1,2", "--reps", "2",
          "--allocators", "glibc", "--param", "ops=2000", "--param", "live_objects=100"]


def test_shards_merge_into_the_unsharded_cell_set(tmp_path):
    run_allocmark("run", *MATRIX, "--out", str(tmp_path / "whole"), "--run-id", "whole", check=0)
    _, whole = read_run(tmp_path / "whole" / "whole")
    shard_dirs = []
    sizes = []
    for i in (1, 2, 3):
        run_allocmark("run", *MATRIX, "--shard", f"{i}/3", "--out", str(tmp_path / "shards"),
                      "--run-id", f"s{i}", check=0)
        run, cells = read_run(tmp_path / "shards" / f"s{i}")
        assert run["shard"] == {"index": i, "count": 3}
        sizes.append(len(cells))
        shard_dirs.append(str(tmp_path / "shards" / f"s{i}"))
    assert sum(sizes) == len(whole) and max(sizes) - min(sizes) <= 4
    run_allocmark("merge", "--out", str(tmp_path / "merged"), *shard_dirs, check=0)
    run, merged = read_run(tmp_path / "merged")
    assert cell_set(merged) == cell_set(whole)
    assert run["status"] == "complete" and len(run["shards"]) == 3
    assert run["cells_planned"] == len(whole)
    for c in merged:
        assert (tmp_path / "merged" / c["timeseries"]).exists()


def test_merge_refuses_shards_of_different_matrices(tmp_path):
    run_allocmark("run", *MATRIX, "--shard", "1/2", "--out", str(tmp_path), "--run-id", "a", check=0)
    run_allocmark("run", *MATRIX, "--param", "ops=3000", "--shard", "2/2", "--out", str(tmp_path),
                  "--run-id", "b", check=0)
    proc = run_allocmark("merge", "--out", str(tmp_path / "m"), str(tmp_path / "a"), str(tmp_path / "b"))
    assert proc.returncode == 2 and "shard of another matrix" in proc.stderr
    proc = run_allocmark("merge", "--out", str(tmp_path / "m2"), str(tmp_path / "a"), str(tmp_path / "a"))
    assert proc.returncode == 2 and "given twice" in proc.stderr
    proc = run_allocmark("merge", "--out", str(tmp_path / "m3"), str(tmp_path / "nope"))
    assert proc.returncode == 2 and "not a run directory" in proc.stderr


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1/0", "x", "1/2/3"])
def test_bad_shards_are_refused(tmp_path, shard):
    proc = run_allocmark("run", *MATRIX, "--shard", shard, "--out", str(tmp_path))
    assert proc.returncode == 2 and "--shard" in proc.stderr
