"""Fixtures for the script tests: the scripts on sys.path, the fixture runs
of tests/data (copied to a temporary directory before rendering into them)."""
import os
import pathlib
import shutil
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
DATA = ROOT / "tests" / "data"
PYTHON = "/usr/bin/python3"
sys.path.insert(0, str(SCRIPTS))
os.environ.setdefault("MPLBACKEND", "Agg")


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
