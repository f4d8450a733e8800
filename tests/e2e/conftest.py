"""Fixtures for the end-to-end tests: the built binaries and a scratch results root."""
import os
import pathlib
import subprocess

import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from run_files import read_run  # noqa: E402,F401  (the tests import it from here)

BUILD = pathlib.Path(os.environ.get("ALLOCMARK_BUILD", pathlib.Path(__file__).parents[2] / "build"))
ALLOCMARK = BUILD / "allocmark"


def run_allocmark(*args, check=None):
    """Runs allocmark; returns the CompletedProcess (text mode)."""
    proc = subprocess.run([str(ALLOCMARK), *args], capture_output=True, text=True, timeout=600)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc


@pytest.fixture
def results(tmp_path):
    return tmp_path / "results"
