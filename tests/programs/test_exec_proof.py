"""`allocmark exec` proves the allocator inside the measured program (the
probe library), measures the program's whole process tree, and measures
commands that live a few milliseconds."""
import json
import pathlib
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from allocmark_cli import INSTALLED, need_allocmark, run_allocmark  # noqa: E402
from run_files import read_run  # noqa: E402

JEMALLOC_PIC = pathlib.Path("/usr/lib/x86_64-linux-gnu/libjemalloc_pic.a")
MIB = 1 << 20

ALLOCATING_C = r"""
#include <stdlib.h>
#include <string.h>
#include <time.h>
int main(int argc, char** argv) {
  /* about argv[1] milliseconds of allocation */
  long ms = argc > 1 ? atol(argv[1]) : 0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    void* blocks[256];
    for (int i = 0; i < 256; ++i) { blocks[i] = malloc(64 + i * 8); memset(blocks[i], 1, 64); }
    for (int i = 0; i < 256; ++i) free(blocks[i]);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
  return 0;
}
"""


@pytest.fixture(autouse=True)
def _built():
    need_allocmark()


def only_run(results):
    runs = [p for p in results.iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(runs) == 1, runs
    return read_run(runs[0])[1]


def compile_c(tmp_path, name, *extra):
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    source = tmp_path / (name + ".c")
    source.write_text(ALLOCATING_C)
    binary = tmp_path / name
    subprocess.run(["gcc", "-O1", "-o", str(binary), str(source), *map(str, extra)], check=True)
    return binary


def with_jemalloc_inside(tmp_path):
    if not JEMALLOC_PIC.exists():
        pytest.skip(f"{JEMALLOC_PIC} is absent (apt-get install libjemalloc-dev)")
    return compile_c(tmp_path, "own_jemalloc", JEMALLOC_PIC, "-lpthread", "-ldl", "-lm")


def test_a_program_with_its_own_allocator_never_gives_an_ok_cell(tmp_path):
    prog = with_jemalloc_inside(tmp_path)
    results = tmp_path / "results"
    proc = run_allocmark("exec", "--allocators", "glibc,mimalloc", "--reps", "1", "--out", results,
                         "--", prog, "5")
    assert proc.returncode == 1, proc.stderr
    cells = only_run(results)
    assert sorted(c["allocator"] for c in cells) == ["glibc", "mimalloc"]
    for c in cells:
        assert c["status"] == "failed", c
        assert f"malloc in own_jemalloc is served by {prog}" in c["error"], c["error"]
        assert "linked into the executable" in c["error"]


def test_a_descendant_served_by_another_allocator_fails_the_cell(tmp_path):
    prog = with_jemalloc_inside(tmp_path)
    results = tmp_path / "results"
    proc = run_allocmark("exec", "--allocators", "glibc", "--reps", "1", "--out", results,
                         "--", "/bin/sh", "-c", f"{prog} 1; true")
    assert proc.returncode == 1, proc.stderr
    [cell] = only_run(results)
    assert cell["status"] == "failed"
    assert "malloc in descendant own_jemalloc (pid" in cell["error"], cell["error"]


@pytest.mark.parametrize("command", [["/bin/true"], ["ALLOCATING", "5"]])
def test_short_commands_give_ok_cells_under_every_allocator(tmp_path, command):
    if command[0] == "ALLOCATING":
        command = [compile_c(tmp_path, "allocating"), *command[1:]]
    results = tmp_path / "results"
    proc = run_allocmark("exec", "--allocators", "all", "--reps", "1", "--out", results, "--", *command)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    cells = only_run(results)
    assert set(INSTALLED) <= {c["allocator"] for c in cells}
    for c in cells:
        assert c["status"] == "ok", c
        assert c["allocator_proven"] == c["allocator"], c
        assert c["memory_method"] in ("cgroup", "proc-tree")
        assert 0 < c["wall_s"] < 5
        # The program's own peak: under 64 MiB for /bin/true or 256 small
        # blocks, whichever allocator (never the child's, that started it).
        assert 0 < c["peak_rss_bytes"] < 64 * MIB, c
    glibc = next(c for c in cells if c["allocator"] == "glibc")
    assert glibc["allocator_stats"]["glibc.arena_bytes"] > 0
    # Below allocmark-child's own resident set (about 5 MiB), which a
    # command that ends between two samples once reported.
    assert glibc["peak_rss_bytes"] < 4 * MIB, glibc


def test_the_peak_memory_of_a_process_tree_covers_every_process(tmp_path):
    results = tmp_path / "results"
    hold = "import time; time.sleep(0.5)"
    script = (f"python3 -c 'x=[0]*10**7; {hold}' & "
              f"python3 -c 'y=[0]*10**7; {hold}'; wait")
    proc = run_allocmark("exec", "--allocators", "glibc", "--reps", "1", "--out", results,
                         "--", "/bin/sh", "-c", script)
    assert proc.returncode == 0, proc.stderr
    [cell] = only_run(results)
    assert cell["status"] == "ok", cell
    # Each python holds a list of 10**7 pointers (76 MiB) at once.
    assert cell["peak_rss_bytes"] > 2 * 76 * MIB, cell
    assert cell["user_s"] > 0.02


def test_the_allocator_counts_its_own_calls_inside_the_program(tmp_path):
    if "jemalloc" not in INSTALLED:
        pytest.skip("jemalloc is not installed")
    prog = compile_c(tmp_path, "allocating")
    results = tmp_path / "results"
    run_allocmark("exec", "--allocators", "jemalloc", "--reps", "1", "--out", results, "--", prog, "5",
                  check=0)
    [cell] = only_run(results)
    assert cell["allocator_stats"]["jemalloc.malloc_calls"] >= 256


@pytest.mark.parametrize("first_line, message", [
    ("#!/nonexistent/interpreter", "needs /nonexistent/interpreter"),
    ("#!/usr/bin/env no-such-interpreter-allocmark", "needs no-such-interpreter-allocmark"),
])
def test_a_script_without_its_interpreter_exits_2_before_running(tmp_path, first_line, message):
    script = tmp_path / "script"
    script.write_text(first_line + "\nprint(1)\n")
    script.chmod(0o755)
    results = tmp_path / "results"
    proc = run_allocmark("exec", "--out", results, "--", script)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not results.exists()
