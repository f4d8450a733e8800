"""Fixtures for the workload tests: the built driver, and one shared smoke run of the suite."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
# The tests import these from here.
from allocmark_cli import ALLOCMARK, INSTALLED, run_allocmark  # noqa: E402,F401
from run_files import read_run  # noqa: E402,F401

# The workloads of the suite; each declares its heaps.
SUITE = ["cache_scratch", "cache_thrash", "churn", "fragmentation", "frame_arena", "json",
         "json_nlohmann", "json_rapidjson", "json_rapidjson_pool", "large",
         "larson", "producer_consumer", "realloc_growth", "threadtest", "xmalloc"]
SUITE_REGEX = "^(" + "|".join(SUITE) + ")$"


@pytest.fixture(scope="session")
def smoke_cells(tmp_path_factory):
    """One smoke run of the whole suite at 1 and 2 threads: its cells."""
    out = tmp_path_factory.mktemp("results")
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", SUITE_REGEX,
                         "--threads", "1,2", "--out", str(out))
    _, cells = read_run(out / "latest")
    assert cells, proc.stderr
    return cells
