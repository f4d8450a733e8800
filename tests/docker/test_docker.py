"""make test-docker: allocmark built and run in a real container, on a real Docker engine.

Starts dockerd when none answers (and stops it after), builds the base image
with debootstrap (cached per machine), builds docker/Dockerfile on it, runs
the smoke profile through docker/bench.py (as `make docker-bench` does) and
checks what the container wrote: run.json says container, image, CPU set and
memory limit; every allocator proven and every cell ok; a shard measured in the
container merges with a shard measured on the host into the cells of the whole
run; the merged run renders with `make report` where the report script exists.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "docker"))
sys.path.insert(0, str(REPO / "tests"))
import bench  # noqa: E402
import engine  # noqa: E402
from allocmark_cli import INSTALLED, LIBRARIES, run_allocmark  # noqa: E402
from run_files import cell_set, read_run  # noqa: E402

IMAGE = "allocmark:test"
CPUS = "0"
MEMORY_BYTES = 1536 * 1024 * 1024


def bench_in_container(results, run_id, *run_args, build=True):
    """docker/bench.py on the smoke profile, as make docker-bench runs it; returns its exit
    status (0: every cell ok, 1: some cell failed, and the run says why)."""
    return bench.main(["--profile", "smoke", "--image", IMAGE, "--cpus", CPUS,
                       "--memory", f"{MEMORY_BYTES // (1024 * 1024)}m", "--output", str(results),
                       "--run-id", run_id, *([] if build else ["--no-build"]), "--", *run_args])


@pytest.fixture(scope="module")
def docker_engine():
    with engine.DockerEngine() as e:
        yield e


@pytest.fixture(scope="module")
def smoke_run(docker_engine, tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    status = bench_in_container(results, "smoke")
    assert status in (0, 1), f"allocmark run in the container exited {status}"
    return results / "smoke"


def test_run_json_records_the_container(smoke_run):
    run, _ = read_run(smoke_run)
    env = run["environment"]
    assert env["container"] is True
    assert env["container_image"].startswith(IMAGE + "@sha256:")
    assert env["cpu_set"] == CPUS
    assert env["memory_limit_bytes"] == MEMORY_BYTES
    # The revision the image was built from (HEAD may have moved on since).
    built_from = subprocess.run(["docker", "image", "inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}",
                                 IMAGE], capture_output=True, text=True, check=True).stdout
    assert f"ALLOCMARK_GIT_REVISION={env['git_revision'] or ''}\n" in built_from
    assert bool(env["git_revision"]) == bool(engine.git_revision())
    assert run["status"] == "complete" and run["cells_recorded"] == run["cells_planned"] > 0


def test_every_allocator_is_proven_and_every_cell_ok(smoke_run):
    run, cells = read_run(smoke_run)
    assert [a["name"] for a in run["allocators"]] == ["glibc", "jemalloc", "tcmalloc", "mimalloc"]
    assert all(a["proven"] == a["name"] for a in run["allocators"])
    failed = sorted({f'{c["workload"]}: {c.get("error")}' for c in cells if c["status"] != "ok"})
    assert not failed, "cells failed in the image:\n" + "\n".join(failed)
    assert {c["allocator"] for c in cells} == {"glibc", "jemalloc", "tcmalloc", "mimalloc"}
    for c in cells:
        assert (smoke_run / c["timeseries"]).exists()


def test_a_container_shard_merges_with_a_host_shard(smoke_run, tmp_path):
    _, whole = read_run(smoke_run)
    if INSTALLED != ["glibc", *LIBRARIES]:
        pytest.skip("the host lacks an allocator the image has: make deps")
    assert bench_in_container(tmp_path, "container", "--shard", "1/2", build=False) in (0, 1)
    host = run_allocmark("run", "--profile", "smoke", "--shard", "2/2", "--out", tmp_path, "--run-id", "host")
    assert host.returncode in (0, 1), host.stderr
    merge = run_allocmark("merge", "--out", tmp_path / "merged", tmp_path / "container", tmp_path / "host")
    assert merge.returncode in (0, 1), merge.stderr
    run, merged = read_run(tmp_path / "merged")
    assert cell_set(merged) == cell_set(whole)
    assert run["shards"][0]["environment"]["container_image"].startswith(IMAGE)
    if (REPO / "scripts/render_report.py").exists():
        subprocess.run(["make", "-C", str(REPO), "--no-print-directory", "report", f"RUN={tmp_path / 'merged'}"],
                       check=True)
        assert (tmp_path / "merged" / "report.html").exists()


def test_an_upstream_allocator_is_proven_in_the_container(smoke_run, tmp_path):
    # The image builds the upstream allocators from $ALLOCMARK_GIT_MIRROR when the
    # build had one (docker/bench.py copies it in), from the upstream URLs otherwise.
    listing = json.loads(subprocess.run(["docker", "run", "--rm", IMAGE, "list", "--json"], check=True,
                                        capture_output=True, text=True).stdout)
    built = [a["name"] for a in listing["allocators"] if a["source"] == "upstream" and a["available"]]
    if not built and not os.environ.get("ALLOCMARK_GIT_MIRROR"):
        pytest.skip("the image has no upstream allocator: its build had neither ALLOCMARK_GIT_MIRROR "
                    "nor a route to the upstream repositories")
    assert built, "the image was built from a mirror but has no upstream allocator"
    name = built[0]
    subprocess.run(["docker", "run", "--rm", "-v", f"{tmp_path}:/results", IMAGE, "--profile", "smoke",
                    "--workloads", "^churn$", "--heaps", "malloc", "--allocators", f"glibc,{name}",
                    "--run-id", "upstream"], check=True, capture_output=True)
    run, cells = read_run(tmp_path / "upstream")
    assert [(a["name"], a["proven"]) for a in run["allocators"]] == [("glibc", "glibc"), (name, name)]
    assert {c["allocator"] for c in cells} == {"glibc", name}
    assert all(c["status"] == "ok" for c in cells)
