"""Fixtures for the end-to-end tests: the built binaries and a scratch results root."""
import json
import os
import pathlib
import subprocess

import pytest

BUILD = pathlib.Path(os.environ.get("ALLOCMARK_BUILD", pathlib.Path(__file__).parents[2] / "build"))
ALLOCMARK = BUILD / "allocmark"


def run_allocmark(*args, check=None):
    """Runs allocmark; returns the CompletedProcess (text mode)."""
    proc = subprocess.run([str(ALLOCMARK), *args], capture_output=True, text=True, timeout=600)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc


def read_run(run_dir):
    """(run.json, [cells.jsonl rows]) of a run directory."""
    run_dir = pathlib.Path(run_dir)
    run = json.loads((run_dir / "run.json").read_text())
    cells = [json.loads(line) for line in (run_dir / "cells.jsonl").read_text().splitlines()]
    return run, cells


@pytest.fixture
def results(tmp_path):
    return tmp_path / "results"
