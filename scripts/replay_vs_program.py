#!/usr/bin/python3
"""Does replaying a program's recorded allocations rank allocators as running
the program does? Regenerates docs/replay_vs_program.md.

  1. allocmark record --workloads W -o SCRATCH/recording
       the programs of the real-program workloads, recorded under glibc,
       one trace per cell (what the recorder costs them, too)
  2. allocmark run --workloads W --heaps malloc --allocators A --reps R
       the programs themselves, under every allocator
  3. allocmark replay TRACE --allocators A --reps R, for each cell's trace
  4. compare_runs.py --json on each run: every allocator's ratio to glibc,
     with its 95% interval and verdict, for throughput and peak RSS

and writes, per workload configuration, both orders of the allocators, their
rank agreement (Kendall's tau), and why they differ where they do: how much of
the program's time its allocation calls can take at most (the replay's time
under glibc over the program's), and whether the program's own differences
are significant at all.
"""

import argparse
import datetime
import json
import pathlib
import platform
import subprocess
import sys

SCRIPTS = pathlib.Path(__file__).resolve().parent
DEFAULT_ALLOCATORS = "glibc,jemalloc,tcmalloc,mimalloc"


def run(argv, allow_failed_cells=False):
    """Runs an allocmark command; exit status 1 (some cell failed) is kept."""
    proc = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0 and not (allow_failed_cells and proc.returncode == 1):
        sys.exit(f"replay_vs_program: {' '.join(map(str, argv))} exited {proc.returncode}:\n"
                 + proc.stdout[-2000:])
    return proc.stdout


def comparisons(run_dir, metric):
    """{(workload, threads, allocator): comparison} from compare_runs.py --json."""
    out = subprocess.run([sys.executable, str(SCRIPTS / "compare_runs.py"), str(run_dir), "--json",
                          "--metric", metric], capture_output=True, text=True, check=True).stdout
    return {(c["workload"], c["threads"], c["allocator"]): c
            for c in json.loads(out)["comparisons"] if c["heap"] == "malloc"}


def medians(run_dir, field):
    """{(workload, threads, allocator): median of `field` over ok rows}."""
    values = {}
    for line in (pathlib.Path(run_dir) / "cells.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("status") == "ok" and field in row:
            values.setdefault((row["workload"], row["threads"], row["allocator"]), []).append(row[field])
    return {k: sorted(v)[len(v) // 2] for k, v in values.items()}


def kendall_tau(a, b):
    """Kendall's tau-a of two orders of the same items (lists, best first)."""
    pos_a = {x: i for i, x in enumerate(a)}
    pos_b = {x: i for i, x in enumerate(b)}
    items = list(a)
    concordant = discordant = 0
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            s = (pos_a[items[i]] - pos_a[items[j]]) * (pos_b[items[i]] - pos_b[items[j]])
            concordant += s > 0
            discordant += s < 0
    pairs = len(items) * (len(items) - 1) / 2
    return (concordant - discordant) / pairs if pairs else 1.0


def order(ratios, higher_is_better):
    """Allocators best first, by ratio to glibc (glibc itself is 1)."""
    return sorted(ratios, key=lambda a: -ratios[a] if higher_is_better else ratios[a])


def fmt_ratio(c):
    if c is None:
        return "-"
    mark = "" if c["verdict"] in ("better", "worse") else "~"
    return f"{mark}{c['ratio']:.2f}"


def significant(c):
    return c is not None and c["verdict"] in ("better", "worse")


def explain(workload, allocators, prog, rep, share, tau):
    """A plain reading of why the orders agree or not, from the numbers."""
    others = [a for a in allocators if a != "glibc"]
    prog_sig = [a for a in others if significant(prog.get(a))]
    rep_sig = [a for a in others if significant(rep.get(a))]
    spread_rep = max((rep[a]["ratio"] for a in others if a in rep), default=1.0)
    low_rep = min((rep[a]["ratio"] for a in others if a in rep), default=1.0)
    parts = []
    if share is not None:
        parts.append(f"its allocation calls, replayed back to back under glibc, take {share:.0%} of "
                     f"the program's time")
    if not prog_sig:
        parts.append("the program shows no significant difference from glibc for any allocator, so "
                     "its order is noise; the replay's order is the allocators' on this program's "
                     f"calls (ratios {low_rep:.2f} to {spread_rep:.2f})")
        return "; ".join(parts) + "."
    disagree = [a for a in prog_sig if significant(rep.get(a))
                and (prog[a]["ratio"] - 1) * (rep[a]["ratio"] - 1) < 0]
    if disagree:
        names = ", ".join(disagree)
        parts.append(f"{names}: significant both ways but in opposite directions: the calls alone "
                     "do not explain the program's difference, which lies in its own work on the "
                     "blocks (where the allocator places them: cache and TLB locality, page "
                     "faults), which the replay does not do")
    elif tau >= 0.99:
        parts.append("the orders are the same")
    else:
        parts.append("where both are significant they agree in direction; the order differs "
                     "among allocators whose ratios are within each other's intervals")
    if share is not None and share < 0.2 and prog_sig:
        parts.append("the program's ratios are diluted by its own work, the replay's are not")
    return "; ".join(parts) + "."


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build", help="allocmark's build directory")
    parser.add_argument("--workloads", default="^program_")
    parser.add_argument("--allocators", default=DEFAULT_ALLOCATORS)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--scratch", required=True, help="a new directory for the runs and traces")
    parser.add_argument("-o", "--output", default="docs/replay_vs_program.md")
    args = parser.parse_args()
    allocmark = pathlib.Path(args.build).resolve() / "allocmark"
    scratch = pathlib.Path(args.scratch).resolve()
    scratch.mkdir(parents=True, exist_ok=False)
    allocators = args.allocators.split(",")
    if allocators[0] != "glibc":
        sys.exit("replay_vs_program: --allocators must start with glibc, the baseline")

    recording = scratch / "recording"
    run([allocmark, "record", "--workloads", args.workloads, "--profile", args.profile,
         "-o", recording], allow_failed_cells=True)
    traces = json.loads((recording / "traces" / "traces.json").read_text())
    run([allocmark, "run", "--workloads", args.workloads, "--heaps", "malloc", "--allocators",
         args.allocators, "--reps", args.reps, "--profile", args.profile, "--out", scratch,
         "--run-id", "programs"], allow_failed_cells=True)
    prog_tp = comparisons(scratch / "programs", "ops_per_s")
    prog_rss = comparisons(scratch / "programs", "peak_rss_bytes")
    prog_wall = medians(scratch / "programs", "wall_s")

    cost_rows, rank_rows, notes = [], [], []
    taus = []
    for t in traces:
        if t["origin"] != "start":
            continue  # a forked or exec'd process of the program: counted, not replayed
        key = (t["workload"], t["threads"])
        run_id = f"replay-{t['workload']}-t{t['threads']}"
        run([allocmark, "replay", recording / t["trace"], "--allocators", args.allocators,
             "--reps", args.reps, "--out", scratch, "--run-id", run_id], allow_failed_cells=True)
        rep_tp = comparisons(scratch / run_id, "ops_per_s")
        rep_rss = comparisons(scratch / run_id, "peak_rss_bytes")
        rep_wall = medians(scratch / run_id, "wall_s")
        plain = prog_wall.get((*key, "glibc"))
        replayed = rep_wall.get(("replay", t["trace_threads"], "glibc"))
        recorded = t["wall_s"]
        cost_rows.append(
            f"| {t['workload']} | {t['threads']} | {t['events']:,} | {t['trace_threads']} | "
            f"{t['bytes'] / t['events'] * 1e6 / 1e6:.2f} MB | "
            + (f"{plain:.3f} | {recorded:.3f} | {recorded / plain:.2f}x |" if plain and recorded
               else "- | - | - |"))
        prog = {a: prog_tp.get((*key, a)) for a in allocators[1:]}
        rep = {a: rep_tp.get(("replay", t["trace_threads"], a)) for a in allocators[1:]}
        if any(v is None or "ratio" not in v for v in list(prog.values()) + list(rep.values())):
            rank_rows.append(f"| {t['workload']} | {t['threads']} | (a cell failed: see "
                             f"{scratch}) | | | | |")
            continue
        pr = {"glibc": 1.0, **{a: c["ratio"] for a, c in prog.items()}}
        rr = {"glibc": 1.0, **{a: c["ratio"] for a, c in rep.items()}}
        po, ro = order(pr, True), order(rr, True)
        tau = kendall_tau(po, ro)
        taus.append(tau)
        share = replayed / plain if plain and replayed else None
        rss_p = {a: prog_rss.get((*key, a)) for a in allocators[1:]}
        rss_r = {a: rep_rss.get(("replay", t["trace_threads"], a)) for a in allocators[1:]}
        rss_po = order({"glibc": 1.0, **{a: c["ratio"] for a, c in rss_p.items() if c}}, False)
        rss_ro = order({"glibc": 1.0, **{a: c["ratio"] for a, c in rss_r.items() if c}}, False)
        rank_rows.append(
            f"| {t['workload']} | {t['threads']} | "
            + " ".join(fmt_ratio(prog[a]) for a in allocators[1:]) + " | "
            + " ".join(fmt_ratio(rep[a]) for a in allocators[1:]) + " | "
            f"{' > '.join(po)} | {' > '.join(ro)} | {tau:+.2f} | "
            + (f"{share:.1%}" if share is not None else "-") + " | "
            f"{kendall_tau(rss_po, rss_ro):+.2f} |")
        notes.append(f"- **{t['workload']}, {t['threads']} thread(s)** ({t['trace_threads']} "
                     f"recorded): " + explain(t["workload"], allocators, prog, rep, share, tau))

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown"
    others = " ".join(allocators[1:])
    text = f"""# Replaying a program's allocations against running it

Generated by `scripts/replay_vs_program.py --scratch DIR` ({datetime.date.today()}, commit
{commit}, {platform.machine()} with {len(__import__('os').sched_getaffinity(0))} CPUs,
{args.profile} profile, {args.reps} repetitions, allocators {args.allocators}). It records
the programs of the real-program workloads (`allocmark record --workloads '{args.workloads}'`,
one command), runs the same programs under every allocator (`allocmark run`), and replays
each recorded trace under every allocator (`allocmark replay`).

## What recording costs them

The program's wall time under glibc, plain (median of the {args.reps} repetitions of
`allocmark run`) and recorded (the one cell of `allocmark record`), and the trace's size.

| workload | threads | calls | recorded threads | trace per 1M calls | plain s | recorded s | slowdown |
|---|---:|---:|---:|---:|---:|---:|---:|
""" + "\n".join(cost_rows) + f"""

## Do the replays rank the allocators as the programs do?

Throughput ratios to glibc ({others}; higher is faster), of the program (ops/s) and
of its replay (calls/s); `~` marks a ratio whose difference from glibc is not significant
(Mann-Whitney U, p >= 0.05, or too few repetitions). The orders are best first. Kendall's tau
is +1 for the same order, -1 for the reverse. *Calls' share* is the replay's wall time under
glibc over the program's: how much of the program's time its allocation calls can take when
they run back to back, without the program's own work. The last column is tau for peak RSS
(lower first).

| workload | threads | program ({others}) | replay ({others}) | program's order | replay's order | tau | calls' share | RSS tau |
|---|---:|---|---|---|---|---:|---:|---:|
""" + "\n".join(rank_rows) + """

Mean tau over the configurations: """ + (f"{sum(taus) / len(taus):+.2f}" if taus else "-") + """.

## Why they differ where they do

""" + "\n".join(notes) + """

What a replay shows and a program run does not, and the other way round:

- A replay times the allocation calls alone, back to back: the allocators' differences
  on exactly this program's sequence of sizes, lifetimes and threads, undiluted. A program
  whose calls take a few percent of its time shows those differences scaled down by that share,
  inside its own run-to-run noise.
- A program run also times the program's own work on its blocks, which depends on where the
  allocator put them (cache lines and pages shared, TLB reach, page faults of fresh memory). The
  replay touches only the first and last word of each block, so it cannot show that part.
- A multi-threaded replay keeps each recorded thread and its cross-thread frees, but not the
  program's own synchronisation between calls: threads that waited on each other in the program
  run freely in the replay, except where a free waits for its block's allocation.
"""
    pathlib.Path(args.output).write_text(text)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
