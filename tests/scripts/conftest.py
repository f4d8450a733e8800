"""Fixtures for the script tests: the scripts on sys.path, the fixture runs
of tests/data (copied to a temporary directory before rendering into them),
and a real program recorded by the built allocmark with its profile."""
import json
import os
import pathlib
import shutil
import sys
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
DATA = ROOT / "tests" / "data"
PYTHON = "/usr/bin/python3"
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(1, str(ROOT / "tests"))
os.environ.setdefault("MPLBACKEND", "Agg")

from allocmark_cli import (ALLOCMARK, need_allocmark,  # noqa: E402,F401
                           run_allocmark)

# Two threads, the second allocating what the first frees, and a command line
# that HTML must escape. PYTHONMALLOC=malloc sends every object to malloc.
RECORDED_PROGRAM = """
import json, threading
text = "<b>&amp;</b>"
out = []
worker = threading.Thread(
    target=lambda: out.append([{"a": text + str(i)} for i in range(20000)]))
worker.start()
worker.join()
json.dumps(out)
del out
"""


def copy_run(name, tmp_path):
    dest = tmp_path / name
    shutil.copytree(DATA / name, dest)
    return dest


@pytest.fixture
def smoke_run(tmp_path):
    return copy_run("run_smoke", tmp_path)


@pytest.fixture
def failed_run(tmp_path):
    return copy_run("run_failed_noisy", tmp_path)


@pytest.fixture
def shares_run(tmp_path):
    return copy_run("run_shares", tmp_path)


@dataclass
class Recording:
    """A recorded program: its trace, its profile's JSON file, the profile."""

    trace: pathlib.Path
    profile_json: pathlib.Path
    profile: dict


@pytest.fixture(scope="session")
def recording(tmp_path_factory):
    """RECORDED_PROGRAM recorded by `allocmark record` and its profile by
    `allocmark profile --json`; skips where allocmark is not built."""
    need_allocmark()
    folder = tmp_path_factory.mktemp("recording")
    trace = folder / "program.trace"
    run_allocmark("record", "-o", trace, "--", PYTHON, "-c",
                  RECORDED_PROGRAM, env={"PYTHONMALLOC": "malloc"}, check=0)
    proc = run_allocmark("profile", trace, "--json", check=0)
    profile_json = folder / "profile.json"
    profile_json.write_text(proc.stdout)
    return Recording(trace, profile_json, json.loads(proc.stdout))
