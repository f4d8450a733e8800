"""allocmark record, profile and replay on real programs: a producer/consumer
program of our own (every entry point a known number of times, every message
freed by another thread), python3, a crash, a fork, and damaged traces."""
import datetime
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


def replay(tmp_path, trace, *options, check=0, env=None, out="results"):
    proc = run_allocmark("replay", trace, "--out", tmp_path / out, "--run-id", "r", *options,
                         env=env)
    assert proc.returncode == check, proc.stderr
    return read_run(tmp_path / out / "r")


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


def test_slots_freed_by_one_thread_are_reused_by_another(tmp_path):
    """The consumer's frees give their slots to the producers' later messages,
    each allocation waiting for its slot's release: at the default lag of
    65536 calls (a recording longer than that) and at none, where nearly
    every message takes a slot the consumer has just freed."""
    trace = record(tmp_path, PROGRAM, 4 * MESSAGES)
    p = profile(trace)
    assert p["calls"] > 65536
    failed = sum(e["failed"] for e in p["entry_points"])
    slots = {}
    for lag in ("default", "0"):
        env = {} if lag == "default" else {"ALLOCMARK_REPLAY_SLOT_LAG": lag}
        run, cells = replay(tmp_path, trace, "--allocators", ",".join(INSTALLED[:2]),
                            "--heaps", "malloc,slab-mt", "--reps", "1", "--timeout", "60",
                            env=env, out=f"lag-{lag}")
        assert len(cells) == len(INSTALLED[:2]) + 1
        for cell in cells:
            assert cell["status"] == "ok", cell.get("error")
            counters = cell["counters"]
            assert counters["cross_thread_slot_reuses"] > 0
            assert counters["replay_slots"] < p["blocks"]
            assert counters["cross_thread_frees"] == p["cross_thread"]["cross_thread_frees"]
            assert cell["ops"] == p["calls"] - failed
        slots[lag] = cells[0]["counters"]["replay_slots"]
    # With no lag, a slot goes to another thread as soon as it is freed.
    assert slots["0"] < slots["default"]


def test_a_replay_whose_temporary_directory_is_missing_fails_naming_it(tmp_path):
    trace = record(tmp_path, PROGRAM, 100)
    missing = tmp_path / "missing"
    run, cells = replay(tmp_path, trace, "--allocators", "glibc", "--reps", "1", check=1,
                        env={"TMPDIR": str(missing)})
    assert cells[0]["status"] == "failed"
    assert f"temporary file in {missing}: " in cells[0]["error"], cells[0]["error"]


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


def test_the_recorders_own_start_leaves_the_program_nothing_to_free(tmp_path):
    """The recorder stamps its header without the C library's time functions:
    gmtime_r would strdup the time zone's name, which the program frees when it
    calls tzset(), a free of a block the trace never saw made."""
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    trace = record(tmp_path, PYTHON, "-c", "import time; time.tzset()")
    after = datetime.datetime.now(datetime.timezone.utc)
    p = profile(trace)
    assert p["unknown_releases"] == 0
    stamped = datetime.datetime.strptime(p["start_time"], "%Y-%m-%dT%H:%M:%SZ")
    assert before <= stamped.replace(tzinfo=datetime.timezone.utc) <= after
