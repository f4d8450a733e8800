"""Fixtures for the process-allocator tests: the built driver and its listing."""
import json
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
# The tests import these from here.
from allocmark_cli import ALLOCMARK, BUILD, need_allocmark, run_allocmark  # noqa: E402,F401
from run_files import read_run  # noqa: E402,F401

BUILDER = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "build_allocators.py"


def list_json(*args, env=None):
    """`allocmark list --json` with `args`, parsed."""
    return json.loads(run_allocmark("list", "--json", *args, check=0, env=env).stdout)


@pytest.fixture(scope="session")
def listing():
    need_allocmark()
    return list_json()


@pytest.fixture(scope="session")
def allocators(listing):
    """{name: entry} of the listing's allocators."""
    return {a["name"]: a for a in listing["allocators"]}
