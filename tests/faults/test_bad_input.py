"""Bad input everywhere: each is refused with one line naming the problem and exit 2,
before anything is measured or written.

`allocmark run` options beyond those tests/e2e/test_run.py covers, `--resume`
of malformed or future-schema run directories, `merge` of malformed
directories, and bad `--param` values given to allocmark-child itself.
(report and compare inputs are the scripts' tests.)
"""
import json
import shutil
import subprocess

import pytest

from conftest import BUILD, TALLY, run_allocmark

TINY = ["--workloads", "^churn$", "--heaps", "malloc", "--profile", "smoke", "--allocators", "glibc",
        "--param", "ops=200", "--param", "live_objects=20"]
LIBM = "/usr/lib/x86_64-linux-gnu/libm.so.6"


def assert_refused(proc, message):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("allocmark: "), proc.stderr
    assert message in lines[0], lines[0]
    TALLY["bad inputs refused with one line and exit 2"] += 1


RUN_CASES = [
    (["--param", "ops=0"], "churn.ops must be at least 1"),
    (["--param", "live_objects=-5"], "churn.live_objects must be at least 1"),
    (["--param", "min_size_bytes=0"], "churn.min_size_bytes must be at least 1"),
    (["--param", "churn.min_size_bytes=512", "--param", "churn.max_size_bytes=16"],
     "min_size_bytes is above max_size_bytes"),
    (["--param", "max_size_bytes=99999999999"], "max_size_bytes is above 4 GiB"),
    (["--param", "ops=99999999999999999999"], "is not an integer"),
    (["--param", "ops=1e3"], "'1e3' is not an integer"),
    (["--param", "ops="], "'' is not an integer"),
    (["--param", "=5"], "--param takes NAME=VALUE"),
    (["--param", "ops"], "--param takes NAME=VALUE"),
    (["--param", "nosuch=1"], "no workload has a parameter 'nosuch'"),
    (["--param", "larsen.ops=1"], "no workload has a parameter 'larsen.ops'"),
    (["--threads", "-1"], "--threads counts must be at least 1, got -1"),
    (["--threads", "x"], "allocmark:"),
    (["--reps", "1000000000000"], "allocmark:"),
    (["--shard", "0/3"], "--shard 0/3: I must be between 1 and N"),
    (["--shard", "4/3"], "--shard 4/3: I must be between 1 and N"),
    (["--shard", "-1/3"], "I must be between 1 and N"),
    (["--shard", "1/0"], "I must be between 1 and N"),
    (["--shard", "1/3/"], "--shard takes I/N"),
    (["--shard", "a/b"], "--shard takes I/N"),
    (["--max-rss", "0"], "--max-rss takes a size above 0"),
    (["--max-rss", "-1G"], "--max-rss takes a size above 0"),
    (["--max-rss", "2X"], "--max-rss takes a size above 0"),
    (["--max-rss", "G"], "--max-rss takes a size above 0"),
    (["--max-rss", "nan"], "--max-rss"),
    (["--max-rss", "inf"], "--max-rss"),
    (["--max-rss", "1e30G"], "--max-rss"),
    (["--timeout", "-1"], "--timeout must be above 0 s"),
    (["--timeout", "nan"], "--timeout"),
    (["--timeout", "inf"], "--timeout"),
    (["--sample-interval-us", "0"], "--sample-interval-us"),
    (["--seed", "x"], "allocmark:"),
    (["--seed", "-1"], "--seed: must not be negative, got -1"),
    (["--threads", "1,,2"], "--threads: '1,,2' has an empty item"),
    (["--threads=,2"], "--threads: ',2' has an empty item"),
    (["--allocators", "glibc,"], "--allocators: 'glibc,' has an empty item"),
    (["--heaps", ",malloc"], "--heaps: ',malloc' has an empty item"),
    (["--workloads", "("], "--workloads '(' is not a valid regular expression"),
    (["--workloads", "^nothing$"], "unknown workload '^nothing$' (known: "),
    (["--workloads", "^json$", "--threads", "65"], "the matrix is empty"),
    (["--allocators", "glibc,glibc"], "allocator 'glibc' is named twice"),
    (["--allocator", "x"], "--allocator takes NAME=/path/lib.so"),
    (["--allocator", "=/x.so"], "NAME may use letters"),
    (["--allocator", "a b=/x.so"], "NAME may use letters"),
    (["--allocator", "glibc=" + LIBM], "glibc is never preloaded"),
    (["--allocators", "x", "--allocator", "x=/nonexistent/libx.so"], "no such file '/nonexistent/libx.so'"),
    (["--allocators", "x", "--allocator", "x="], "no such file ''"),
    (["--allocators", "x", "--allocator", "x=" + LIBM], "does not serve malloc when preloaded"),
    (["--allocators", "x", "--allocator", "x=/tmp"], "does not serve malloc when preloaded"),
    (["--allocators", "x", "--allocator", "x=/etc/hostname"], "does not serve malloc when preloaded"),
    (["--profile", "huge"], "unknown profile 'huge'"),
    (["--no-such-option"], "allocmark:"),
]


@pytest.mark.parametrize("args, message", RUN_CASES)
def test_bad_run_options_are_refused(results, args, message):
    proc = run_allocmark("run", *TINY, *args, "--out", results)
    assert_refused(proc, message)
    assert not results.exists() or not any(results.iterdir())


def test_a_user_library_that_is_not_a_malloc_is_refused_even_beside_a_good_one(results):
    proc = run_allocmark("run", "--workloads", "^churn$", "--profile", "smoke", "--allocators", "glibc,x",
                         "--allocator", f"x={LIBM}", "--out", results)
    assert_refused(proc, "x=" + LIBM)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    """A small complete run to break in various ways."""
    out = tmp_path_factory.mktemp("good")
    run_allocmark("run", *TINY, "--reps", "2", "--out", out, "--run-id", "run", check=0)
    return out / "run"


def edit_run_json(edit):
    def apply(run_dir):
        run = json.loads((run_dir / "run.json").read_text())
        edit(run)
        (run_dir / "run.json").write_text(json.dumps(run))
    return apply


def write(name, text):
    return lambda run_dir: (run_dir / name).write_text(text)


def set_in(path, value):
    def edit(run):
        target = run
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit_run_json(edit)


def delete(key):
    return edit_run_json(lambda run: run.pop(key))


def cells_line(text, at=0):
    def apply(run_dir):
        lines = (run_dir / "cells.jsonl").read_text().splitlines()
        lines.insert(at, text)
        (run_dir / "cells.jsonl").write_text("\n".join(lines) + "\n")
    return apply


# (how the run directory is broken, the message) for both --resume and merge.
BROKEN_DIRS = [
    (write("run.json", "{ not json"), "run.json: not valid JSON"),
    (write("run.json", ""), "run.json: not valid JSON"),
    (write("run.json", "[1, 2]"), "run.json: not valid JSON"),
    (lambda d: (d / "run.json").unlink(), "is not a run directory (no run.json)"),
    (lambda d: ((d / "run.json").unlink(), (d / "run.json").mkdir()), "is not a run directory"),
    (delete("schema_version"), "no schema_version"),
    (set_in(["schema_version"], "1"), "schema_version is not an integer"),
    (set_in(["schema_version"], 1.5), "schema_version is not an integer"),
    (set_in(["schema_version"], 99), "schema version 99"),
    (set_in(["schema_version"], 0), "schema version 0"),
    (set_in(["status"], 3), "'status' is not a string"),
    (set_in(["warnings"], "loaded"), "'warnings' is not a list of strings"),
    (set_in(["matrix"], [1]), "'matrix' is not an object"),
    (set_in(["allocators"], {"name": "glibc"}), "'allocators' is not a list"),
    (set_in(["allocators"], [5]), "an entry of 'allocators' is not an object"),
    (set_in(["allocators"], [{"name": 5}]), "'name' that is not a string"),
    (set_in(["cells_recorded"], -1), "'cells_recorded' is not a count"),
    (set_in(["shard"], {"index": 3, "count": 2}), "'shard' is not"),
    (set_in(["shard"], "1/2"), "'shard' is not"),
    (cells_line("{ torn and then more", at=0), "cells.jsonl line 1: not valid JSON"),
    (cells_line("[1, 2]", at=1), "cells.jsonl line 2: not a JSON object"),
    (cells_line('{"status": "ok"}'), "cells.jsonl line 1: no cell_id"),
    (cells_line('{"cell_id": 7}'), "cells.jsonl line 1: no cell_id"),
    (cells_line('{"cell_id": "x", "status": "great"}'), "'status' is neither"),
    (cells_line('{"cell_id": "x", "status": "ok", "ops_per_s": "fast"}'), "'ops_per_s' is not a number"),
    (cells_line('{"cell_id": "x", "threads": "two"}'), "'threads' is not an integer"),
]
RESUME_ONLY = [
    (delete("matrix"), "no matrix to resume"),
    (set_in(["matrix", "threads"], "1"), "malformed matrix"),
    (set_in(["matrix", "reps"], None), "malformed matrix"),
    (edit_run_json(lambda run: run["matrix"].pop("workloads")), "malformed matrix"),
    (set_in(["matrix", "workloads"], "^larsen$"), "unknown workload '^larsen$'"),
    (set_in(["matrix", "reps"], 0), "--reps must be at least 1"),
    (set_in(["matrix", "threads"], [0]), "--threads counts must be at least 1"),
    (set_in(["matrix", "timeout_s"], -1), "--timeout must be above 0 s"),
    (set_in(["matrix", "allocators"], ["hoard"]), "unknown allocator 'hoard'"),
    (set_in(["matrix", "params"], ["ops=-1"]), "must be at least 1"),
    (set_in(["matrix", "shard"], "5/2"), "I must be between 1 and N"),
    (set_in(["matrix", "max_rss"], "lots"), "--max-rss takes a size"),
    (cells_line('{"cell_id": "larson-t1-malloc-glibc-r0", "status": "failed"}', at=1),
     "cells.jsonl line 2: cell 'larson-t1-malloc-glibc-r0' is not in the run's matrix"),
    (cells_line('{"cell_id": "churn-t1-malloc-glibc-r2", "status": "failed"}', at=2),
     "cells.jsonl line 3: cell 'churn-t1-malloc-glibc-r2' is not in the run's matrix"),
]


def broken_copy(good_run, tmp_path, breaker):
    run_dir = tmp_path / "broken"
    shutil.copytree(good_run, run_dir)
    breaker(run_dir)
    return run_dir


def snapshot(run_dir):
    return {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}


@pytest.mark.parametrize("breaker, message", BROKEN_DIRS + RESUME_ONLY)
def test_resume_of_a_malformed_run_directory_is_refused(good_run, tmp_path, breaker, message):
    run_dir = broken_copy(good_run, tmp_path, breaker)
    before = snapshot(run_dir)
    proc = run_allocmark("run", "--resume", run_dir)
    assert_refused(proc, message)
    assert snapshot(run_dir) == before, "a refused resume changed the run directory"


def test_a_new_run_under_the_id_of_an_existing_one_is_refused(good_run):
    before = snapshot(good_run)
    proc = run_allocmark("run", *TINY, "--out", good_run.parent, "--run-id", good_run.name)
    assert_refused(proc, "already holds a run")
    assert snapshot(good_run) == before, "a refused run changed the existing run"


def test_resume_by_another_subcommand_than_the_one_that_made_the_run_is_refused(good_run):
    # run.json names the subcommand that made the run; another is refused.
    before = snapshot(good_run)
    proc = run_allocmark("exec", "--resume", good_run)
    assert_refused(proc, f"was made by allocmark run: resume it with allocmark run --resume {good_run}")
    assert snapshot(good_run) == before, "a refused resume changed the run directory"


def test_resume_of_a_directory_that_does_not_exist_is_refused(tmp_path):
    assert_refused(run_allocmark("run", "--resume", tmp_path / "nope"), "is not a run directory")


def test_a_results_file_that_cannot_be_written_after_the_run_began_exits_3(good_run, tmp_path):
    # The resume is valid; run.json then cannot be rewritten (its temporary
    # file's name is taken by a directory): allocmark's own error, status 3,
    # not "some cell failed" (1), and the cells recorded before are kept.
    run_dir = tmp_path / "run"
    shutil.copytree(good_run, run_dir)
    cells = (run_dir / "cells.jsonl").read_text().splitlines(keepends=True)
    (run_dir / "cells.jsonl").write_text("".join(cells[:-1]))
    (run_dir / "run.json.tmp").mkdir()
    proc = run_allocmark("run", "--resume", run_dir)
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("allocmark: error: ") and "run.json.tmp" in last, proc.stderr
    assert (run_dir / "cells.jsonl").read_text() == "".join(cells[:-1])


@pytest.mark.parametrize("breaker, message", BROKEN_DIRS)
def test_merge_of_a_malformed_run_directory_is_refused(good_run, tmp_path, breaker, message):
    run_dir = broken_copy(good_run, tmp_path, breaker)
    proc = run_allocmark("merge", "--out", tmp_path / "merged", good_run, run_dir)
    assert_refused(proc, message)
    assert not (tmp_path / "merged").exists(), "a refused merge left a directory behind"


def shards_sharing_a_cell(good_run, tmp_path):
    """Two copies of good_run labelled shards 1/2 and 2/2: every cell is in both."""
    shards = []
    for index in (1, 2):
        shard = tmp_path / f"shard{index}"
        shutil.copytree(good_run, shard)
        set_in(["shard"], {"index": index, "count": 2})(shard)
        shards.append(shard)
    return shards


def test_a_failed_merge_removes_the_directories_it_created(good_run, tmp_path):
    out = tmp_path / "new" / "deeper" / "merged"
    proc = run_allocmark("merge", "--out", out, *shards_sharing_a_cell(good_run, tmp_path))
    assert_refused(proc, "is in two shards")
    assert not (tmp_path / "new").exists(), "a failed merge left its output directory behind"


def test_a_failed_merge_into_an_existing_directory_removes_only_what_it_wrote(good_run, tmp_path):
    out = tmp_path / "existing"
    (out / "timeseries").mkdir(parents=True)
    (out / "notes.txt").write_text("mine\n")
    (out / "timeseries" / "mine.csv").write_text("t,rss\n")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    proc = run_allocmark("merge", "--out", out, *shards_sharing_a_cell(good_run, tmp_path))
    assert_refused(proc, "is in two shards")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "notes.txt").read_text() == "mine\n"


CHILD_PARAM_CASES = [
    ("ops=abc", "--param ops=abc: 'abc' is not an integer"),
    ("ops=99999999999999999999", "'99999999999999999999' is not an integer"),
    ("ops=", "--param ops=: '' is not an integer"),
    ("ops", "--param takes NAME=VALUE or WORKLOAD.NAME=VALUE, got 'ops'"),
    ("=5", "--param takes NAME=VALUE"),
    ("nosuch=1", "--param nosuch=1: not a parameter of churn"),
    ("larson.ops=1", "--param larson.ops=1: not a parameter of churn"),
    ("ops=0", "--param ops=0: churn.ops must be at least 1"),
    ("max_size_bytes=8", "parameters of churn: min_size_bytes is above max_size_bytes"),
]


def run_child(tmp_path, *params):
    args = [str(BUILD / "allocmark-child"), "run", "--workload", "churn", "--heap", "malloc",
            "--out", str(tmp_path / "cell.json"), "--param", "live_objects=20"]
    for p in params:
        args += ["--param", p]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("param, message", CHILD_PARAM_CASES)
def test_the_child_refuses_a_bad_param_with_one_line(tmp_path, param, message):
    proc = run_child(tmp_path, param)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("allocmark-child: "), proc.stderr
    assert message in lines[0], lines[0]
    assert not (tmp_path / "cell.json").exists()
    TALLY["bad inputs refused with one line and exit 2"] += 1


def test_the_child_takes_both_forms_of_param(tmp_path):
    proc = run_child(tmp_path, "churn.ops=200", "min_size_bytes=32")
    assert proc.returncode == 0, proc.stderr
    bench = json.loads((tmp_path / "cell.json").read_text())["benchmarks"][0]
    assert not bench.get("error_occurred"), bench


@pytest.mark.parametrize("args, message", [
    (lambda good, tmp: ["--out", tmp / "m", good, good], "is given twice"),
    (lambda good, tmp: ["--out", good, good], "already holds a run"),
    (lambda good, tmp: ["--out", tmp / "m", tmp / "nope"], "is not a run directory"),
    (lambda good, tmp: ["--out", tmp / "m"], "allocmark:"),
    (lambda good, tmp: [good], "allocmark:"),
])
def test_bad_merge_arguments_are_refused(good_run, tmp_path, args, message):
    assert_refused(run_allocmark("merge", *args(good_run, tmp_path)), message)
