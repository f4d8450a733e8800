"""One baseline for every ratio: the terminal summary, the report's tables and
`allocmark compare` give the same ratio for the same series: its median over
the median of the baseline allocator on heap malloc, same workload and threads
(docs/methodology.md, "One baseline for every ratio")."""
import json
import re

import allocmark_results as results
import allocmark_tables as tables
from conftest import need_allocmark, run_allocmark


def summary_ratios(stdout):
    """{(workload, threads, heap, allocator): the printed "vs glibc" ratio}."""
    ratios = {}
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) >= 6 and re.fullmatch(r"\d+\.\d\dx", fields[5]):
            ratios[(fields[0], int(fields[1]), fields[2], fields[3])] = float(fields[5][:-1])
    return ratios


def test_every_view_of_a_cell_shows_the_same_ratio(tmp_path):
    need_allocmark()
    proc = run_allocmark("run", "--workloads", "^threadtest$", "--profile", "smoke",
                         "--heaps", "malloc,arena", "--threads", "1",
                         "--allocators", "glibc,mimalloc", "--reps", "3",
                         "--out", tmp_path, "--run-id", "r", check=0)
    printed = summary_ratios(proc.stdout)
    run = results.load_run(str(tmp_path / "r"))
    from_tables = {(r.series.workload, r.series.threads, r.series.heap, r.series.allocator): r.speedup
                   for r in tables.build_rows(run)}
    compared = json.loads(run_allocmark("compare", tmp_path / "r", "--json", check=0).stdout)
    from_compare = {(c["workload"], c["threads"], c["heap"], c["allocator"]): c["ratio"]
                    for c in compared["comparisons"]}
    # The arena under glibc is measured against glibc on malloc, not against
    # itself: 1.00x would hide what the arena gains.
    arena = ("threadtest", 1, "arena", "glibc")
    assert set(printed) == set(from_tables) == set(from_compare) | {("threadtest", 1, "malloc", "glibc")}
    assert printed[("threadtest", 1, "malloc", "glibc")] == 1.0
    for key, ratio in from_compare.items():
        assert from_tables[key] == ratio, key
        assert printed[key] == round(ratio, 2), key
    assert from_compare[arena] != 1.0
