"""Preloaded allocators that misbehave on purpose (fault_malloc.c), through the real driver.

Each fault library is measured as a user's allocator over the smoke profile of
every workload on the malloc heap: every cell must be recorded as failed with
the reason the fault calls for and with no figures, the run must go on to the
end, list the failures in its summary and exit 1.
"""
import re

import pytest

from conftest import FAULT_DIR, TALLY, assert_unmeasured, read_run, run_allocmark

# kind -> (extra driver arguments, the reason a cell that met the fault must give)
FAULTS = {
    "segv": ([], r"^killed by SIGSEGV$"),
    "abort": ([], r"^killed by SIGABRT$"),
    "null": ([], r"returned NULL"),
    # A shared or damaged block can send a library's own structure into an
    # endless loop (a cycle in nlohmann::json's std::map): the per-cell
    # time-out ends such a cell well before the test's own.
    "overlap": (["--timeout", "30"], r"was changed"),
    "corrupt": (["--timeout", "30"], r"was changed"),
    "hang": (["--timeout", "1"], r"^timed out after 1 s$"),
    "balloon": (["--max-rss", "384M"], r"^exceeded the memory limit of 384 MiB \(resident \d+ MiB\)$"),
}
# A workload's own check may name the damage its way (the json workload's
# parser meets a changed document, or NULL in the middle of one).
WORKLOAD_CHECKS = r"returned NULL|was changed|is not valid JSON|changed between|lost its content|heap returned NULL"
# Where a NULL or a shared block reaches code that is not the workload's
# (a std::vector's growth, a pointer stored in a block), the C library or the
# C++ runtime stops the child first: still a failed cell, counted apart.
CRASHES = r"^killed by SIG(ABRT|SEGV|BUS)$"
# A library's structure that the damage sent into a loop.
LOOPS = r"^timed out after 30 s$"
# Workloads whose threads rewrite a small block in a tight loop (Hoard's
# false-sharing tests): a concurrent change to it can be lost in a data race.
RACING_WRITERS = {"cache_scratch", "cache_thrash"}
# Workloads whose blocks are a library's own (nlohmann::json's std::map nodes
# and vectors): the corrupt fault flips the first byte of the last block, in a
# map node its red-black colour, which no walk of the values can see.
LIBRARY_BLOCKS = {"json_nlohmann"}
# Not the program_* workloads: they measure other programs, into which the
# fault library is preloaded too; their failures are those programs'.
# Every byte verified (--verify full): a flipped byte anywhere in a block must
# be caught, not only one at the canary's two words.
SMOKE = ["--profile", "smoke", "--heaps", "malloc", "--workloads", "^(?!program_)", "--verify", "full"]


def test_every_fault_library_is_built():
    for kind in FAULTS:
        assert (FAULT_DIR / f"libfault_{kind}.so").exists(), kind


def cells_that_met_the_fault(log):
    """{(workload, threads)} of the children in which the fault fired."""
    met = set()
    for line in log.read_text().splitlines() if log.exists() else []:
        args = line.split()
        if "--workload" in args and "--threads" in args:
            met.add((args[args.index("--workload") + 1], int(args[args.index("--threads") + 1])))
    return met


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_a_misbehaving_allocator_fails_every_cell_it_touched_with_its_reason(results, kind):
    extra, reason = FAULTS[kind]
    library = FAULT_DIR / f"libfault_{kind}.so"
    log = results.parent / f"{kind}.log"
    # Threaded cells too, except where each cell waits out the time-out.
    threads = "1" if kind == "hang" else "1,2"
    proc = run_allocmark("run", *SMOKE, "--threads", threads, *extra, "--allocators", f"fault-{kind}",
                         "--allocator", f"fault-{kind}={library}", "--out", results, "--run-id", kind,
                         env={"ALLOCMARK_FAULT_LOG": str(log)})
    assert proc.returncode == 1, proc.stderr
    run, cells = read_run(results / kind)
    assert run["status"] == "complete"
    assert cells and len(cells) == run["cells_planned"] == run["cells_recorded"]
    met = cells_that_met_the_fault(log)
    assert met, "the fault never fired"
    undetected = []
    for cell in cells:
        assert cell["allocator"] == f"fault-{kind}"
        if (cell["workload"], cell["threads"]) not in met:
            # The workload made too few allocation calls for the fault to
            # fire: a true measurement of an allocator that behaved.
            assert cell["status"] == "ok", (cell["cell_id"], cell.get("error"))
            TALLY["cells the fault never reached, measured as ok"] += 1
            continue
        if kind in ("corrupt", "overlap") and cell["status"] == "ok":
            if cell["workload"] in RACING_WRITERS and cell["threads"] > 1:
                # The owner rewrites its 8-byte block in a tight loop; a byte
                # the fault changes between the owner's load and store of it
                # is overwritten, and the block is then as if never damaged.
                TALLY["damage undone by the owner's racing write (cache_* with 2 threads), cell ok"] += 1
                continue
            if cell["workload"] in LIBRARY_BLOCKS:
                TALLY["damage to a library's own bookkeeping no value walk reads (json_nlohmann), cell ok"] += 1
                continue
            # Damage that lands in another thread's block between its last
            # check and its free, or between its allocation and its first
            # write, changes nothing the workload computes: a race of the
            # two threads' timing, allowed once per run below.
            undetected.append(cell["cell_id"])
            TALLY["corruptions or overlaps that no later check read (cell measured ok)"] += 1
            continue
        assert_unmeasured(cell)
        TALLY["faults injected and reported as failed cells"] += 1
        if kind in ("null", "overlap", "corrupt"):
            if re.search(CRASHES, cell["error"]):
                TALLY["  of which stopped by the C library or C++ runtime (abort/crash)"] += 1
                continue
            if kind != "null" and cell["workload"] in LIBRARY_BLOCKS and re.search(LOOPS, cell["error"]):
                TALLY["  of which a library's structure looped until the time-out (json_nlohmann)"] += 1
                continue
            assert re.search(WORKLOAD_CHECKS, cell["error"]), (cell["cell_id"], cell["error"])
            TALLY["  of which caught by the workload's own verification"] += 1
        else:
            assert re.search(reason, cell["error"]), (cell["cell_id"], cell["error"])
            TALLY["  of which ended by the driver or a signal with the fault's reason"] += 1
    assert "failed cells:" in proc.stdout
    assert all(c["cell_id"] in proc.stdout for c in cells if c["status"] == "failed")
    # Most workloads must meet the fault, or the test says little; and the
    # corruptions must be caught.
    assert len(met) * 2 > len({(c["workload"], c["threads"]) for c in cells})
    assert len(undetected) <= 1, f"corruption went unnoticed in {undetected}"


@pytest.mark.parametrize("workload", ["churn", "larson", "xmalloc", "frame_arena"])
def test_the_default_canary_catches_an_allocator_that_hands_out_a_live_block(results, workload):
    # Two live blocks sharing memory: the second one's canary overwrites the
    # first's, which its check before the free sees, without --verify full
    # (frame_arena's fault falls in its first frame, one that it checks).
    library = FAULT_DIR / "libfault_overlap.so"
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", f"^{workload}$", "--heaps", "malloc",
                         "--threads", "1", "--allocators", "overlap", "--allocator", f"overlap={library}",
                         "--out", results, "--run-id", workload)
    assert proc.returncode == 1, proc.stderr
    run, cells = read_run(results / workload)
    assert run["matrix"]["verify"] == "canary"
    assert [c["status"] for c in cells] == ["failed"], cells
    assert_unmeasured(cells[0])
    assert "was changed" in cells[0]["error"], cells[0]["error"]


def test_frame_arena_with_check_every_1_catches_a_live_block_handed_out_in_a_later_frame(results):
    # frame_arena checks a frame's temporaries on one frame in check_every;
    # check_every=1 is every frame. About 9000 allocation calls in (past the
    # first frame's 4400 or so), the fault lands in a frame that the default
    # (16) leaves unchecked: there glibc's double-free check aborts the child
    # instead.
    library = FAULT_DIR / "libfault_overlap.so"
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", "^frame_arena$", "--heaps", "malloc",
                         "--threads", "1", "--allocators", "overlap", "--allocator", f"overlap={library}",
                         "--param", "check_every=1", "--out", results, "--run-id", "every",
                         env={"ALLOCMARK_FAULT_AFTER": "9000"})
    assert proc.returncode == 1, proc.stderr
    _, cells = read_run(results / "every")
    assert [c["status"] for c in cells] == ["failed"], cells
    assert cells[0]["params"]["check_every"] == 1
    assert "was changed" in cells[0]["error"], cells[0]["error"]


def test_a_short_memory_peak_between_two_polls_still_fails_the_cell(results):
    # The balloon frees nothing, but the child may end before the driver's
    # next poll: the child's high-water mark (wait4) must still fail it.
    library = FAULT_DIR / "libfault_balloon.so"
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", "^churn$", "--heaps", "malloc",
                         "--param", "ops=1", "--max-rss", "64M", "--allocators", "b",
                         "--allocator", f"b={library}", "--out", results, "--run-id", "peak",
                         env={"ALLOCMARK_FAULT_AFTER": "900", "ALLOCMARK_FAULT_BALLOON_MIB": "96"})
    assert proc.returncode == 1, proc.stderr
    _, cells = read_run(results / "peak")
    assert cells, "the run recorded no cell"
    for cell in cells:
        assert_unmeasured(cell)
        assert cell["error"].startswith("exceeded the memory limit of 64 MiB"), cell["error"]
        TALLY["faults injected and reported as failed cells"] += 1


def test_a_fault_in_one_allocator_leaves_the_others_measured(results):
    library = FAULT_DIR / "libfault_segv.so"
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", "^churn$", "--heaps", "malloc",
                         "--reps", "2", "--allocators", "glibc,broken",
                         "--allocator", f"broken={library}", "--out", results, "--run-id", "mixed")
    assert proc.returncode == 1, proc.stderr
    _, cells = read_run(results / "mixed")
    assert [c["allocator"] for c in cells] == ["glibc", "broken", "broken", "glibc"]
    for cell in cells:
        if cell["allocator"] == "glibc":
            assert cell["status"] == "ok" and cell["ops_per_s"] > 0
        else:
            assert_unmeasured(cell)
            assert cell["error"] == "killed by SIGSEGV"
            TALLY["faults injected and reported as failed cells"] += 1


def test_a_library_that_crashes_in_the_probe_is_refused_before_any_cell(results):
    library = FAULT_DIR / "libfault_segv.so"
    proc = run_allocmark("run", *SMOKE, "--allocators", "x", "--allocator", f"x={library}",
                         "--out", results, env={"ALLOCMARK_FAULT_ARM": "start", "ALLOCMARK_FAULT_AFTER": "10"})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "probing allocator 'x' failed: the probe killed by SIGSEGV" in lines[0]
    assert not results.exists() or not any(results.iterdir())
    TALLY["faults injected and reported as failed cells"] += 1
