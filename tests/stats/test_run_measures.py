"""What a real run records of its measurements: the fragmentation measures, the
environment, --until-stable with --resume, and --callgrind."""
from conftest import read_run, run_allocmark


def test_rows_have_fragmentation_and_run_has_environment(smoke_run):
    run, rows = read_run(smoke_run)
    for row in rows:
        assert row["status"] == "ok"
        # Defined whenever live bytes were seen; #1-#3 need samples taken
        # while blocks are live, which a smoke run may be too short for.
        assert row["frag_max_over_max"] > 0
        for key in ("frag_time_avg", "frag_at_peak_live", "frag_at_peak_rss"):
            assert key not in row or row[key] >= 0
    env = run["environment"]
    for key in ("cpu_model", "cores", "memory_bytes", "kernel", "thp_enabled", "thp_defrag",
                "cpu_governor", "compiler", "cxx_flags", "build_type", "git_revision",
                "virtualized", "clocksource", "load_average"):
        assert key in env, key
    for key in ("command_line", "started_at", "finished_at", "load_average_end", "allocators"):
        assert key in run, key


def test_until_stable_adds_repetitions_and_resumes(tmp_path):
    from conftest import need_allocmark
    need_allocmark()
    # A target no timing can meet: every configuration gets repetitions up
    # to --max-reps.
    args = ["run", "--profile", "smoke", "--workloads", "^churn$", "--heaps", "malloc",
            "--allocators", "glibc,jemalloc", "--reps", "2", "--until-stable",
            "--stable-target", "0.000001", "--max-reps", "4", "--out", tmp_path, "--run-id", "us"]
    proc = run_allocmark(*args)
    assert proc.returncode == 0, proc.stderr
    run, rows = read_run(tmp_path / "us")
    assert sorted(r["rep"] for r in rows) == [0, 0, 1, 1, 2, 2, 3, 3]
    # Alternating order within the added repetitions, as in the matrix.
    order = [r["allocator"] for r in rows]
    assert order[4:6] == ["glibc", "jemalloc"] and order[6:8] == ["jemalloc", "glibc"]
    assert run["matrix"]["until_stable"] and run["matrix"]["max_reps"] == 4
    assert run["stability"]["unstable"]
    assert "still above" in proc.stderr
    proc = run_allocmark("run", "--resume", tmp_path / "us")
    assert proc.returncode == 0, proc.stderr
    assert len(read_run(tmp_path / "us")[1]) == 8


def test_until_stable_bad_options(tmp_path):
    from conftest import need_allocmark
    need_allocmark()
    proc = run_allocmark("run", "--profile", "smoke", "--until-stable", "--stable-target", "2",
                         "--out", tmp_path)
    assert proc.returncode == 2 and "--stable-target" in proc.stderr


def test_callgrind_counts_instructions_under_each_allocator(tmp_path):
    from conftest import need_allocmark
    need_allocmark()
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", "^churn$", "--heaps",
                         "malloc", "--reps", "1", "--callgrind", "--param", "ops=2000",
                         "--out", tmp_path, "--run-id", "cg")
    assert proc.returncode == 0, proc.stderr
    _, rows = read_run(tmp_path / "cg")
    assert rows
    for row in rows:
        assert "callgrind_error" not in row, row.get("callgrind_error")
        assert row["instructions"] > 0 and row["instructions_per_op"] > 0
        # The preload reached the program valgrind ran.
        assert row["callgrind_allocator"] == row["allocator"]
