"""Fixtures for the end-to-end tests: the built binaries and a scratch results root."""
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
# The tests import these from here.
from allocmark_cli import INSTALLED, LIBRARIES, run_allocmark  # noqa: E402,F401
from run_files import read_run  # noqa: E402,F401


@pytest.fixture
def results(tmp_path):
    return tmp_path / "results"
