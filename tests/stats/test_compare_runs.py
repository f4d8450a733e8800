"""compare_runs.py and `allocmark compare` on synthetic and real runs, and
their answers to bad input."""
import json

import pytest

from conftest import ROOT, compare, need_allocmark, run_allocmark, write_run

FAST = [100.0, 101.0, 102.0, 103.0, 104.0]
SLOW = [50.0, 50.5, 51.0, 51.5, 52.0]


def test_allocators_against_the_baseline(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW,
                                     ("churn", "jemalloc"): FAST,
                                     ("churn", "tcmalloc"): SLOW[::-1]})
    proc = compare(run, "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["mode"] == "allocators" and doc["baseline"] == "glibc"
    rows = {r["allocator"]: r for r in doc["comparisons"]}
    assert rows["jemalloc"]["verdict"] == "better"
    assert rows["jemalloc"]["p_value"] == pytest.approx(2 / 252)
    assert rows["jemalloc"]["ci_low"] <= rows["jemalloc"]["ratio"] <= rows["jemalloc"]["ci_high"]
    assert rows["tcmalloc"]["verdict"] == "no significant difference"
    assert rows["tcmalloc"]["ratio"] == pytest.approx(1.0)
    table = compare(run).stdout
    assert "no significant difference" in table and "jemalloc" in table


def test_baseline_option_and_another_metric(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW,
                                     ("churn", "jemalloc"): FAST})
    doc = json.loads(compare(run, "--json", "--baseline", "jemalloc",
                             "--metric", "wall_s").stdout)
    (row,) = doc["comparisons"]
    assert row["allocator"] == "glibc" and row["verdict"] == "worse"
    doc = json.loads(compare(run, "--json", "--metric", "frag_time_avg").stdout)
    assert doc["comparisons"][0]["ratio"] == pytest.approx(1.0)


def test_two_runs(tmp_path):
    a = write_run(tmp_path / "a", {("churn", "glibc"): SLOW})
    b = write_run(tmp_path / "b", {("churn", "glibc"): FAST})
    doc = json.loads(compare(a, b, "--json").stdout)
    (row,) = doc["comparisons"]
    assert doc["mode"] == "runs" and row["verdict"] == "better"
    assert row["ratio"] == pytest.approx(102.0 / 51.0)


def test_agreement(tmp_path):
    a = write_run(tmp_path / "a", {("churn", "glibc"): SLOW, ("churn", "jemalloc"): FAST})
    b = write_run(tmp_path / "b", {("churn", "glibc"): SLOW[::-1],
                                   ("churn", "jemalloc"): [x * 1.001 for x in FAST]})
    proc = compare("--agreement", a, b, "--json")
    assert proc.returncode == 0, proc.stderr
    (pair,) = json.loads(proc.stdout)["pairs"]
    assert pair["outcome"] == "agree"
    # Run d's ratio (about 2.04) lies inside a's wide interval, a's (2.0)
    # outside d's narrow one: one way.
    d = write_run(tmp_path / "d", {("churn", "glibc"): [50.0, 50.0, 50.0, 50.0, 50.0],
                                   ("churn", "jemalloc"): [101.9, 102.0, 102.0, 102.0, 102.1]})
    doc = json.loads(compare("--agreement", a, d, "--json").stdout)
    (pair,) = doc["pairs"]
    assert (pair["a_in_b_ci"], pair["b_in_a_ci"], pair["outcome"]) == (False, True, "agree one way")
    assert doc["agree"]
    c = write_run(tmp_path / "c", {("churn", "glibc"): FAST, ("churn", "jemalloc"): FAST})
    proc = compare("--agreement", a, c)
    assert proc.returncode == 1
    assert "1 outside both intervals" in proc.stdout
    assert "Holm over 1, alpha 0.05): 1 differ" in proc.stdout


def test_stable_target_lists_wide_configurations(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW,
                                     ("churn", "jemalloc"): FAST,
                                     ("json", "glibc"): [10.0, 30.0, 20.0],
                                     ("json", "jemalloc"): [20.0, 10.0, 30.0]})
    doc = json.loads(compare(run, "--json", "--stable-target", "0.05").stdout)
    assert [u["workload"] for u in doc["unstable"]] == ["json"]
    assert doc["unstable"][0]["params"] == {"ops": 100}


def one_line_exit_2(proc, *needles):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_missing_run_directory(tmp_path):
    one_line_exit_2(compare(tmp_path / "nope"), "no such run directory")


def test_malformed_cells_line(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW})
    with open(run / "cells.jsonl", "a") as f:
        f.write("{not json\n")
    one_line_exit_2(compare(run), "cells.jsonl:6:")


def test_future_schema(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW}, schema_version=99)
    one_line_exit_2(compare(run), "run.json", "schema_version 99")


def test_unknown_baseline(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW})
    one_line_exit_2(compare(run, "--baseline", "hoard"), "no allocator 'hoard'")


def test_unknown_metric(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW})
    one_line_exit_2(compare(run, "--metric", "bogus"), "no cell has 'bogus'")


def test_an_output_that_cannot_be_written(tmp_path):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW, ("churn", "jemalloc"): FAST})
    one_line_exit_2(compare(run, "-o", "/nonexistent/x"), "/nonexistent/x",
                    "No such file or directory")
    blocker = tmp_path / "file"
    blocker.write_text("")
    one_line_exit_2(compare(run, "--json", "-o", blocker / "x"), f"{blocker / 'x'}")
    assert blocker.read_text() == ""


@pytest.mark.parametrize("alpha", ["7", "1", "0", "-0.1", "nan", "inf", "x"])
def test_alpha_outside_zero_to_one_is_refused(tmp_path, alpha):
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW})
    proc = compare(run, "--alpha", alpha)
    assert proc.returncode == 2, proc.stdout
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(
        f"argument --alpha: {alpha!r} is not a number between 0 and 1 (exclusive)")
    assert not proc.stdout


def test_allocmark_compare_passes_arguments_through(smoke_run):
    args = [smoke_run, "--json", "--baseline", "jemalloc", "--metric", "peak_rss_bytes",
            "--alpha", "0.2"]
    proc = run_allocmark("compare", *args)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["baseline"], doc["metric"], doc["alpha"]) == ("jemalloc", "peak_rss_bytes", 0.2)
    (row,) = doc["comparisons"]
    assert row["allocator"] == "glibc" and (row["n"], row["n_baseline"]) == (3, 3)
    # The same answer as the script's own, verdict and interval included.
    assert doc == json.loads(compare(*args).stdout)
    proc = run_allocmark("compare", smoke_run)
    assert "against glibc" in proc.stdout and "jemalloc" in proc.stdout


def test_allocmark_compare_decides_by_the_alpha_it_is_given(tmp_path):
    need_allocmark()
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW, ("churn", "jemalloc"): FAST})
    verdicts = {}
    for alpha in ("0.05", "0.001"):
        proc = run_allocmark("compare", run, "--json", "--alpha", alpha)
        assert proc.returncode == 0, proc.stderr
        (row,) = json.loads(proc.stdout)["comparisons"]
        verdicts[alpha] = row["verdict"]
    # 5 + 5 completely separated repetitions: p = 2/252, about 0.008.
    assert verdicts == {"0.05": "better", "0.001": "too few repetitions"}


def test_allocmark_compare_bad_input(tmp_path):
    need_allocmark()
    one_line_exit_2(run_allocmark("compare", tmp_path / "nope"), "no such run directory")
    run = write_run(tmp_path / "r", {("churn", "glibc"): SLOW}, schema_version=2)
    one_line_exit_2(run_allocmark("compare", run), "schema_version 2")


DATA = ROOT / "tests" / "data"
SHARES_RUN = DATA / "run_shares"  # shares in rep 0 of glibc and jemalloc
OLD_RUN = DATA / "run_smoke"      # no shares, the old `fragmentation`


def line_of(table, allocator):
    (line,) = [text for text in table.splitlines()
               if text.startswith("churn t1 malloc")
               and f" {allocator} " in text]
    return line


def test_shares_beside_each_ratio():
    table = compare(SHARES_RUN).stdout
    assert "in alloc. instr." in table and "in alloc. time" in table
    jemalloc = line_of(table, "jemalloc")
    assert "61% / 42%" in jemalloc and "55% / 39%" in jemalloc
    assert jemalloc.index("1.097") < jemalloc.index("61% / 42%")
    tcmalloc = line_of(table, "tcmalloc")
    assert "- / 42%" in tcmalloc and "- / 39%" in tcmalloc
    assert "cells below 50% in the allocator spend most of their time " \
        "outside it: their ratios understate allocator differences" in table
    rows = {r["allocator"]: r for r in
            json.loads(compare(SHARES_RUN, "--json").stdout)["comparisons"]}
    assert rows["jemalloc"]["allocator_instruction_share"] == 0.6125
    assert rows["jemalloc"]["allocator_instruction_share_baseline"] == 0.4213
    assert rows["jemalloc"]["allocator_time_share"] == 0.5532
    assert rows["jemalloc"]["allocator_time_share_baseline"] == 0.3871
    assert "allocator_time_share" not in rows["tcmalloc"]
    assert rows["tcmalloc"]["allocator_time_share_baseline"] == 0.3871


def test_shares_of_two_runs_are_those_of_each_side():
    doc = json.loads(compare(OLD_RUN, SHARES_RUN, "--json").stdout)
    rows = {r["allocator"]: r for r in doc["comparisons"]}
    assert set(rows) == {"glibc", "jemalloc", "tcmalloc"}
    assert rows["glibc"]["allocator_instruction_share"] == 0.4213
    assert "allocator_instruction_share_baseline" not in rows["glibc"]
    doc = json.loads(compare(SHARES_RUN, OLD_RUN, "--json").stdout)
    rows = {r["allocator"]: r for r in doc["comparisons"]}
    assert rows["glibc"]["allocator_instruction_share_baseline"] == 0.4213
    assert "allocator_instruction_share" not in rows["glibc"]
    assert "- / 42%" in line_of(compare(SHARES_RUN, OLD_RUN).stdout, "glibc")
    assert "42% / -" in line_of(compare(OLD_RUN, SHARES_RUN).stdout, "glibc")


def test_no_share_columns_without_shares():
    proc = compare(OLD_RUN)
    assert proc.returncode == 0, proc.stderr
    assert "jemalloc" in proc.stdout and "in alloc." not in proc.stdout
    for row in json.loads(compare(OLD_RUN, "--json").stdout)["comparisons"]:
        assert not [k for k in row if "share" in k], row


def test_fragmentation_is_the_headline_and_says_so():
    table = compare(SHARES_RUN, "--metric", "fragmentation").stdout
    assert "median of fragmentation (peak resident above baseline / peak " \
        "live bytes)" in table
    # An old run's fragmentation is read as its frag_max_over_max.
    doc = json.loads(compare(OLD_RUN, "--json", "--metric",
                             "fragmentation").stdout)
    row = next(r for r in doc["comparisons"] if r["workload"] == "churn"
               and r["heap"] == "malloc" and r["allocator"] == "jemalloc")
    rows = [json.loads(text) for text in (OLD_RUN / "cells.jsonl").open()]
    glibc = [r["frag_max_over_max"] for r in rows
             if r["cell_id"].startswith("churn-t1-malloc-glibc-")]
    assert row["median_baseline"] == pytest.approx(sum(glibc) / 2)
    assert row["median_baseline"] < 3
