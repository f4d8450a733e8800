"""End to end: the real programs beyond the first four (db_bench, git, z3, clang++, gs, jq),
each under every installed allocator, doing the same work under each, and failing its cell
with the program's reason when its input is wrong."""
import collections
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from allocmark_cli import run_allocmark  # noqa: E402
from run_files import read_run  # noqa: E402

PROGRAMS = ["program_clang", "program_ghostscript", "program_git", "program_jq", "program_rocksdb",
            "program_z3"]
# Figures each program reports that depend only on its input: equal under every allocator.
SAME_UNDER_EVERY_ALLOCATOR = {
    "program_clang": ["object_bytes"],
    "program_ghostscript": ["ink_coverage"],
    "program_git": ["pack_bytes"],  # one delta-search thread: one order of work
    "program_jq": ["values_walked", "bytes_serialised"],
    "program_rocksdb": ["keys_found"],
    "program_z3": [],
}


def run_cells(tmp_path, *args, env=None):
    out = tmp_path / "results"
    proc = run_allocmark("run", "--profile", "smoke", "--reps", "1", "--out", str(out), *args,
                         env=env, timeout=500)
    _, cells = read_run(out / "latest")
    return proc, cells


def test_list_shows_at_least_nine_real_programs():
    listing = json.loads(run_allocmark("list", "--json", check=0).stdout)
    programs = {w["name"] for w in listing["workloads"] if w["name"].startswith("program_")}
    assert set(PROGRAMS) <= programs
    assert len(programs) >= 9, programs


def test_every_program_runs_ok_and_does_the_same_work_under_every_allocator(tmp_path):
    proc, cells = run_cells(tmp_path, "--workloads", "^(" + "|".join(PROGRAMS) + ")$")
    assert proc.returncode == 0, proc.stderr
    allocators = {c["allocator"] for c in cells}
    assert "glibc" in allocators and len(allocators) >= 2
    assert {(c["workload"], c["allocator"]) for c in cells} == \
        {(w, a) for w in PROGRAMS for a in allocators}
    figures = collections.defaultdict(set)
    for c in cells:
        assert c["status"] == "ok", c
        assert c["allocator_proven"] == c["allocator"]
        assert c["threads"] == 1
        assert c["ops"] > 0 and c["peak_rss_bytes"] > 0 and c["user_s"] > 0, c["cell_id"]
        for name in SAME_UNDER_EVERY_ALLOCATOR[c["workload"]]:
            assert c["counters"][name] > 0, (c["cell_id"], name)
            figures[(c["workload"], name)].add(c["counters"][name])
        figures[(c["workload"], "ops")].add(c["ops"])
        figures[(c["workload"], "request_checksum")].add(c["request_checksum"])
    for key, values in figures.items():
        assert len(values) == 1, (key, values)


def test_the_threaded_programs_run_on_every_thread(tmp_path):
    proc, cells = run_cells(tmp_path, "--workloads", "^program_(git|rocksdb)$", "--threads", "1,2",
                            "--allocators", "glibc")
    assert proc.returncode == 0, proc.stderr
    by = {(c["workload"], c["threads"]): c for c in cells}
    assert set(by) == {(w, t) for w in ("program_git", "program_rocksdb") for t in (1, 2)}
    assert all(c["status"] == "ok" for c in cells), [c.get("error") for c in cells]
    # git packs the same objects whatever the threads; db_bench's threads each write and read.
    assert by[("program_git", 2)]["ops"] == by[("program_git", 1)]["ops"]
    assert by[("program_rocksdb", 2)]["ops"] == 2 * by[("program_rocksdb", 1)]["ops"]


def test_ghostscript_fails_its_cell_without_its_document(tmp_path):
    proc, cells = run_cells(tmp_path, "--workloads", "^program_ghostscript$", "--allocators", "glibc",
                            env={"ALLOCMARK_GHOSTSCRIPT_PDF": str(tmp_path / "absent.pdf")})
    assert proc.returncode == 1, proc.stderr
    assert cells[0]["status"] == "failed"
    assert "absent.pdf is missing" in cells[0]["error"] and "ghostscript-doc" in cells[0]["error"]


def test_ghostscript_fails_its_cell_when_pages_are_missing(tmp_path):
    proc, cells = run_cells(tmp_path, "--workloads", "^program_ghostscript$", "--allocators", "glibc",
                            "--param", "program_ghostscript.pages=60")
    assert proc.returncode == 1, proc.stderr
    assert cells[0]["status"] == "failed"
    assert "pages, not 60" in cells[0]["error"], cells[0]["error"]


def test_jq_fails_its_cell_with_its_own_reason_on_malformed_json(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"browsers": {"firefox": [1, 2,]}}')
    proc, cells = run_cells(tmp_path, "--workloads", "^program_jq$", "--allocators", "glibc",
                            "--param", "program_jq.iso_codes_passes=0", "--param", "program_jq.mdn_passes=1",
                            env={"ALLOCMARK_MDN_BCD_JSON": str(bad)})
    assert proc.returncode == 1, proc.stderr
    assert cells[0]["status"] == "failed"
    assert "jq exited with status" in cells[0]["error"] and "bad.json" in cells[0]["error"], cells[0]["error"]
