"""Fixtures for the recorder's end-to-end tests: the built binaries."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from allocmark_cli import BUILD, INSTALLED, need_allocmark, run_allocmark  # noqa: E402,F401
from run_files import read_run  # noqa: E402,F401
