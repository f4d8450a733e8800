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
import json
import pathlib
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
    proc = subprocess.run([sys.executable, str(SCRIPTS / "compare_runs.py"), str(run_dir), "--json",
                           "--metric", metric], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"replay_vs_program: compare_runs.py {run_dir}: {proc.stderr.strip()}")
    out = proc.stdout
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


def overlap(a, b):
    """True when two comparisons' 95% intervals overlap."""
    return a["ci_low"] <= b["ci_high"] and b["ci_low"] <= a["ci_high"]


def explain(allocators, prog, rep, share, tau, recorded_threads, cpus):
    """A plain reading of why the orders agree or not, from the numbers."""
    others = [a for a in allocators if a != "glibc"]
    prog_sig = [a for a in others if significant(prog.get(a))]
    high_rep = max(rep[a]["ratio"] for a in others)
    low_rep = min(rep[a]["ratio"] for a in others)
    parts = []
    if share is not None:
        parts.append(f"its allocation calls, replayed back to back under glibc, take {share:.1%} of "
                     f"the program's time")
    if recorded_threads > cpus:
        parts.append(f"{recorded_threads} recorded threads replay on {cpus} CPUs")
    if not prog_sig:
        parts.append("the program shows no significant difference from glibc for any allocator, so "
                     "its order is noise; the replay's is the allocators' on this program's "
                     f"calls (ratios {low_rep:.2f} to {high_rep:.2f})")
        return "; ".join(parts) + "."
    opposite = [a for a in prog_sig if significant(rep.get(a))
                and (prog[a]["ratio"] - 1) * (rep[a]["ratio"] - 1) < 0]
    # Pairs of allocators the two orders put the other way round, and whether
    # the program's own intervals separate them.
    swapped, separated = [], []
    for i, a in enumerate(others):
        for b in others[i + 1:]:
            if (prog[a]["ratio"] - prog[b]["ratio"]) * (rep[a]["ratio"] - rep[b]["ratio"]) < 0:
                swapped.append((a, b))
                if not overlap(prog[a], prog[b]):
                    separated.append((a, b))
    if opposite:
        parts.append(", ".join(opposite) + ": significant both ways but in opposite directions "
                     "against glibc")
    if not swapped and not opposite:
        parts.append(f"the orders of {', '.join(others)} are the same"
                     if tau < 0.99 else "the orders are the same")
    elif swapped and not separated:
        parts.append("the allocators the two orders swap (" +
                     ", ".join(f"{a} and {b}" for a, b in swapped) +
                     ") are within each other's intervals in the program")
    if separated or opposite:
        parts.append("where the program separates allocators that its calls alone rank otherwise (" +
                     ", ".join([f"{a} and {b}" for a, b in separated] + opposite) +
                     "), the difference is in its own work on the blocks, which depends on where "
                     "each allocator places them (cache lines, pages, TLB reach) and which the "
                     "replay does not do")
    if share is not None:
        above = [a for a in prog_sig if prog[a]["ci_low"] > predicted(share, rep[a]["ratio"])]
        below = [a for a in prog_sig if prog[a]["ci_high"] < predicted(share, rep[a]["ratio"])]
        if above:
            parts.append("under " + ", ".join(above) + " the program runs faster than its calls "
                         "alone predict: inside the program the calls meet colder caches than back to "
                         "back, or the blocks' placement speeds its own work; a replay cannot "
                         "tell these apart")
        if below:
            parts.append("under " + ", ".join(below) + " the program runs slower than its calls "
                         "alone predict: its own work on the blocks is slower there")
        if not above and not below:
            parts.append("the program's significant ratios are within what its calls alone "
                         "predict")
    return "; ".join(parts) + "."


def predicted(share, replay_ratio):
    """The program's throughput ratio if only its calls' time changed: the
    calls take `share` of its time under glibc and run replay_ratio times as
    fast under the allocator."""
    return 1.0 / ((1.0 - share) + share / replay_ratio)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default="build", help="allocmark's build directory")
    parser.add_argument("--workloads", default="^program_")
    parser.add_argument("--allocators", default=DEFAULT_ALLOCATORS)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--scratch", required=True, help="a new directory for the runs and traces")
    parser.add_argument("-o", "--output", default="docs/replay_vs_program.md")
    parser.add_argument("--reuse", action="store_true",
                        help="the runs in --scratch are there: write the document from them")
    args = parser.parse_args()
    allocmark = pathlib.Path(args.build).resolve() / "allocmark"
    scratch = pathlib.Path(args.scratch).resolve()
    allocators = args.allocators.split(",")
    if allocators[0] != "glibc" or len(allocators) < 2:
        sys.exit("replay_vs_program: --allocators must be glibc, the baseline, then at least one more")
    if args.reuse:
        for needed in (scratch / "recording" / "traces" / "traces.json", scratch / "programs" / "run.json"):
            if not needed.is_file():
                sys.exit(f"replay_vs_program: --reuse: {needed} is missing (run without --reuse first)")
    else:
        try:
            scratch.mkdir(parents=True)
        except OSError as e:
            sys.exit(f"replay_vs_program: --scratch {scratch}: {e.strerror} (it must be a new directory)")

    recording = scratch / "recording"
    if not args.reuse:
        run([allocmark, "record", "--workloads", args.workloads, "--profile", args.profile,
             "-o", recording], allow_failed_cells=True)
    traces = json.loads((recording / "traces" / "traces.json").read_text())
    if not args.reuse:
        run([allocmark, "run", "--workloads", args.workloads, "--heaps", "malloc", "--allocators",
             args.allocators, "--reps", args.reps, "--profile", args.profile, "--out", scratch,
             "--run-id", "programs"], allow_failed_cells=True)
    # What the document states of the runs comes from the runs (so a --reuse
    # names the commit and machine they were made on, not today's).
    programs_run = json.loads((scratch / "programs" / "run.json").read_text())
    environment = programs_run["environment"]
    cpus = environment["cores"]
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
        if not args.reuse:
            run([allocmark, "replay", recording / t["trace"], "--allocators", args.allocators,
                 "--reps", args.reps, "--out", scratch, "--run-id", run_id],
                allow_failed_cells=True)
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
            f"{kendall_tau(rss_po, rss_ro):+.2f} | "
            + (" ".join(f"{predicted(share, rr[a]):.2f}" for a in allocators[1:])
               if share is not None else "-") + " |")
        notes.append(f"- **{t['workload']}, {t['threads']} thread(s)**: "
                     + explain(allocators, prog, rep, share, tau, t["trace_threads"], cpus))

    revision = environment.get("git_revision") or "unknown"
    commit = revision[:7] + ("-dirty" if revision.endswith("-dirty") else "")
    others = " ".join(allocators[1:])
    text = f"""# Replaying a program's allocations against running it

Generated by `scripts/replay_vs_program.py --scratch DIR` from runs made on
{programs_run["started_at"][:10]} at commit {commit}, {environment["machine"]} with {cpus} CPUs,
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
they run back to back, without the program's own work. *RSS tau* is tau for peak RSS
(lower first). The last column is the program's ratio if only its calls' time changed:
1 / ((1 - share) + share / replay ratio).

| workload | threads | program ({others}) | replay ({others}) | program's order | replay's order | tau | calls' share | RSS tau | program predicted from its calls |
|---|---:|---|---|---|---|---:|---:|---:|---|
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
