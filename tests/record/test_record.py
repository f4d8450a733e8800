"""allocmark record, profile and replay on real programs: a producer/consumer
program of our own (every entry point a known number of times, every message
freed by another thread), python3, a crash, a fork, and damaged traces."""
import json
import struct

import pytest

from conftest import BUILD, INSTALLED, need_allocmark, read_run, run_allocmark

PROGRAM = BUILD / "allocmark-record-test-program"
PYTHON = "/usr/bin/python3"
MESSAGES = 5000


def record(tmp_path, *command, name="t", check=0):
    need_allocmark()
    trace = tmp_path / name
    proc = run_allocmark("record", "-o", trace, "--", *command)
    assert proc.returncode == check, proc.stderr
    return trace


def profile(trace):
    return json.loads(run_allocmark("profile", trace, "--json", check=0).stdout)


def entry_points(p):
    return {e["name"]: e for e in p["entry_points"]}


def replay(tmp_path, trace, *options, check=0):
    proc = run_allocmark("replay", trace, "--out", tmp_path / "results", "--run-id", "r", *options)
    assert proc.returncode == check, proc.stderr
    return read_run(tmp_path / "results" / "r")


def test_every_entry_point_and_cross_thread_frees_are_recorded(tmp_path):
    trace = record(tmp_path, PROGRAM, MESSAGES)
    p = profile(trace)
    calls = entry_points(p)
    for name in ["posix_memalign", "aligned_alloc", "memalign", "valloc", "operator new[]",
                 "operator delete[]", "operator new (aligned)", "operator delete (sized, aligned)"]:
        assert calls[name]["calls"] == 7, name
    assert calls["realloc"]["calls"] == 7
    assert calls["operator new"]["calls"] >= 2 * MESSAGES
    assert calls["operator delete (sized)"]["calls"] >= 2 * MESSAGES
    assert p["threads"] == 4  # main, consumer, two producers
    assert p["cross_thread"]["cross_thread_frees"] >= 2 * MESSAGES
    assert p["unknown_releases"] == 0
    assert p["complete"]


def test_replay_keeps_cross_thread_frees(tmp_path):
    trace = record(tmp_path, PROGRAM, MESSAGES)
    p = profile(trace)
    run, cells = replay(tmp_path, trace, "--allocators", ",".join(INSTALLED[:2]),
                        "--heaps", "malloc,slab-mt", "--reps", "1")
    assert run["replay"]["threads"] == 4
    assert len(cells) == len(INSTALLED[:2]) + 1
    for cell in cells:
        assert cell["status"] == "ok", cell.get("error")
        assert cell["threads"] == 4
        assert cell["counters"]["cross_thread_frees"] == p["cross_thread"]["cross_thread_frees"]
        assert cell["counters"]["trace_peak_live_bytes"] == p["live_bytes"]["peak_bytes"]
        assert cell["ops"] == p["calls"] - sum(e["failed"] for e in p["entry_points"])


def test_slab_is_refused_for_cross_thread_frees(tmp_path):
    trace = record(tmp_path, PROGRAM, 100)
    proc = run_allocmark("replay", trace, "--heaps", "slab", "--out", tmp_path / "r", check=2)
    assert "slab-mt" in proc.stderr and proc.stderr.count("\n") == 1


def test_single_threaded_replay_has_the_profiles_peak(tmp_path):
    trace = record(tmp_path, PYTHON, "-c",
                   "import json; json.dumps([{'a': str(i)} for i in range(20000)])")
    p = profile(trace)
    assert p["threads"] == 1
    run, cells = replay(tmp_path, trace, "--allocators", ",".join(INSTALLED[:2]),
                        "--heaps", "malloc,slab", "--reps", "1")
    assert cells
    for cell in cells:
        assert cell["status"] == "ok", cell.get("error")
        assert cell["peak_live_bytes"] == p["live_bytes"]["peak_bytes"]


def test_a_crash_keeps_the_calls_before_it(tmp_path):
    trace = record(tmp_path, PROGRAM, 1000, "crash", check=134)  # SIGABRT
    p = profile(trace)
    assert not p["complete"]
    assert entry_points(p)["operator new"]["calls"] >= 2000
    # The block allocated just before abort() is in the trace.
    assert any(c["max_bytes"] == 16384 for c in p["size_classes"])


def test_a_forked_child_records_to_its_own_file(tmp_path):
    trace = record(tmp_path, PROGRAM, 100, "fork")
    children = [f for f in tmp_path.iterdir() if f.name.startswith("t.")]
    assert len(children) == 1
    child = profile(children[0])
    assert child["origin"] == "fork"
    assert entry_points(child)["malloc"]["calls"] >= 100
    # The parent's trace holds none of the child's calls.
    assert entry_points(profile(trace))["malloc"]["calls"] < 100


def write_trace(path, events, version=1):
    """A trace of raw chunks, one per thread: events are (thread, time_ns,
    op, ptr, size)."""
    header = json.dumps({"command": ["test"], "allocator": "glibc"}).encode()
    out = b"AMTRACE\0" + struct.pack("<II", version, len(header)) + header
    threads = sorted({e[0] for e in events})
    for t in threads:
        payload = b"".join(struct.pack("<QQQQBBHI", time, ptr, 0, size, op, 0, 0, 0)
                           for (thread, time, op, ptr, size) in events if thread == t)
        h = 0xcbf29ce484222325
        for (w,) in struct.iter_unpack("<Q", payload):
            h = ((h ^ w) * 0x100000001b3) & (2**64 - 1)
        n = len(payload) // 40
        out += b"AMCK" + struct.pack("<HHIIIIQ", 2, 0, t, n, len(payload), len(payload), h) + payload
    path.write_bytes(out)


MALLOC, FREE = 1, 4


def test_a_double_free_fails_the_cell_saying_where(tmp_path):
    need_allocmark()
    trace = tmp_path / "double"
    write_trace(trace, [(0, 10, MALLOC, 0x1000, 64), (0, 20, FREE, 0x1000, 0), (0, 30, FREE, 0x1000, 0)])
    run, cells = replay(tmp_path, trace, "--allocators", "glibc", "--reps", "1", check=1)
    assert cells[0]["status"] == "failed"
    assert "call 2 (thread 0" in cells[0]["error"] and "not live" in cells[0]["error"]


@pytest.mark.parametrize("damage", ["truncated", "foreign", "version", "flipped"])
def test_a_damaged_trace_is_refused_with_its_offset(tmp_path, damage):
    need_allocmark()
    good = tmp_path / "good"
    write_trace(good, [(0, 10, MALLOC, 0x1000, 64), (0, 20, FREE, 0x1000, 0)])
    data = good.read_bytes()
    bad = tmp_path / "bad"
    if damage == "truncated":
        bad.write_bytes(data[:-7])
    elif damage == "foreign":
        bad.write_bytes(b"\x7fELF" + data[4:])
    elif damage == "version":
        write_trace(bad, [(0, 10, MALLOC, 0x1000, 64)], version=9)
    else:
        bad.write_bytes(data[:-30] + bytes([data[-30] ^ 1]) + data[-29:])
    for command in (["profile", bad], ["replay", bad, "--out", tmp_path / "r"]):
        proc = run_allocmark(*command, check=2)
        assert proc.stderr.startswith(f"allocmark: {bad}: offset "), proc.stderr
        assert proc.stderr.count("\n") == 1
