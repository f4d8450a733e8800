"""Fixtures for the workload tests: the built driver, and one shared smoke run of the suite."""
import json
import os
import pathlib
import subprocess

import pytest

BUILD = pathlib.Path(os.environ.get("ALLOCMARK_BUILD", pathlib.Path(__file__).parents[2] / "build"))
ALLOCMARK = BUILD / "allocmark"
LIBDIR = pathlib.Path("/usr/lib/x86_64-linux-gnu")
INSTALLED = ["glibc"] + [name for name, lib in [("jemalloc", "libjemalloc.so.2"),
                                                  ("tcmalloc", "libtcmalloc_minimal.so.4"),
                                                  ("mimalloc", "libmimalloc.so.2")]
                         if (LIBDIR / lib).exists()]
# The workloads of the suite; each declares its heaps.
SUITE = ["cache_scratch", "cache_thrash", "churn", "fragmentation", "frame_arena", "json", "large",
         "larson", "producer_consumer", "realloc_growth", "threadtest", "xmalloc"]
SUITE_REGEX = "^(" + "|".join(SUITE) + ")$"


def run_allocmark(*args, env=None):
    """Runs allocmark; returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([str(ALLOCMARK), *args], capture_output=True, text=True, timeout=600,
                          env=full_env)


def read_cells(run_dir):
    """The rows of a run's cells.jsonl."""
    text = (pathlib.Path(run_dir) / "cells.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="session")
def smoke_cells(tmp_path_factory):
    """One smoke run of the whole suite at 1 and 2 threads: its cells."""
    out = tmp_path_factory.mktemp("results")
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", SUITE_REGEX,
                         "--threads", "1,2", "--out", str(out))
    cells = read_cells(out / "latest")
    assert cells, proc.stderr
    return cells
