"""Reading a run directory in the tests that drive the real binaries: the
end-to-end, robustness, container and cluster suites share these."""
import json
import pathlib


def read_run(run_dir):
    """(run.json, [cells.jsonl rows]) of a run directory; every line must
    parse, and a run with no cells.jsonl yet has no rows."""
    run_dir = pathlib.Path(run_dir)
    run = json.loads((run_dir / "run.json").read_text())
    path = run_dir / "cells.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return run, [json.loads(line) for line in lines]


def cell_set(cells):
    """What identifies each cell, sorted: two runs of one matrix that measured
    the same cells have equal cell sets, whatever their order or figures."""
    return sorted((c["cell_id"], c["workload"], json.dumps(c["params"], sort_keys=True), c["threads"],
                   c["heap"], c["allocator"], c["rep"]) for c in cells)
