"""Helpers of the robustness tests, and the tally they report (the robustness figures).

Every test that injects a fault, feeds bad input or interrupts a run adds to
TALLY what it did and what it checked; the session ends by printing the
figures and writing them to $ALLOCMARK_ROBUSTNESS_SUMMARY (default
<build>/tests/faults/robustness_summary.json), so the counts come from the
tests themselves.
"""
import collections
import json
import os
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
# The tests import these from here.
from allocmark_cli import ALLOCMARK, BUILD, INSTALLED, run_allocmark  # noqa: E402,F401
from allocmark_results import METRICS  # noqa: E402
from run_files import read_run  # noqa: E402,F401

FAULT_DIR = pathlib.Path(os.environ.get("ALLOCMARK_FAULT_DIR", BUILD / "tests" / "faults"))
# What a measured cell reports (every figure of harness/figures.json, and its
# time series): a failed cell must carry none of them.
FIGURES = METRICS + ("timeseries", "allocator_stats", "counters")

TALLY = collections.Counter()


def assert_unmeasured(cell):
    """A failed cell reports a reason and no figure it did not measure."""
    assert cell["status"] == "failed" and cell["error"], cell
    leaked = [k for k in FIGURES if k in cell]
    assert not leaked, f"failed cell {cell['cell_id']} reports {leaked}"
    TALLY["failed cells checked to carry no figures"] += 1


def pytest_terminal_summary(terminalreporter):
    if not TALLY:
        return
    terminalreporter.section("robustness figures")
    for name, count in sorted(TALLY.items()):
        terminalreporter.write_line(f"{count:6d}  {name}")
    out = pathlib.Path(os.environ.get("ALLOCMARK_ROBUSTNESS_SUMMARY",
                                      FAULT_DIR / "robustness_summary.json"))
    try:
        out.write_text(json.dumps(dict(sorted(TALLY.items())), indent=2) + "\n")
        terminalreporter.write_line(f"written to {out}")
    except OSError as e:
        terminalreporter.write_line(f"cannot write {out}: {e}")


@pytest.fixture
def results(tmp_path):
    return tmp_path / "results"
