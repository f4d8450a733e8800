#!/usr/bin/python3
"""Measure what allocmark's own instruments cost the workload they watch.

  measure_overhead.py sampler    RSS sampler at the default interval (2 ms)
                                 against a sampler that never wakes (1000 s)
  measure_overhead.py latency    per-operation latency sampling of churn
                                 (latency_every=--every, default 64: every
                                 64th replacement timed) against none
                                 (latency_every=2^40)

Runs allocmark-child directly (one process per repetition, the workload's
quick sizes unless --param overrides them), alternating the two variants
A B B A A B ... so that drift cancels, and reports the median ops_per_s of
each, the overhead 1 - median(instrumented) / median(bare) with its 95%
bootstrap interval (allocmark_stats) and the Mann-Whitney U p-value; and the
same for CPU time per operation (user + sys of every thread, the sampler's
included), which a loaded machine disturbs less than wall time. No allocator
is preloaded: glibc serves malloc.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import allocmark_stats as stats  # noqa: E402
from compare_runs import mann_whitney_p  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEVER_US = 1_000_000_000  # a sampler interval longer than any cell
NEVER_OPS = 1 << 40       # a latency_every larger than any cell's ops

VARIANTS = {
    "sampler": (("default sampler (2 ms)", ["--sample-interval-us", "2000"]),
                ("no sampling", ["--sample-interval-us", str(NEVER_US)])),
    "latency": (("latency_every={every}", ["--param", "latency_every={every}"]),
                ("no latency samples",
                 ["--param", f"latency_every={NEVER_OPS}"])),
}


def run_once(child, workload, threads, extra, params):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        argv = [child, "run", "--workload", workload, "--threads",
                str(threads), "--out", out.name, *extra]
        for p in params:
            argv += ["--param", p]
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=600)
        if proc.returncode != 0:
            sys.exit(f"measure_overhead.py: {' '.join(argv)} failed: "
                     f"{proc.stderr.strip().splitlines()[-1:]}")
        bench = json.load(open(out.name, encoding="utf-8"))["benchmarks"][0]
        if bench.get("error_occurred"):
            sys.exit(f"measure_overhead.py: {bench.get('error_message')}")
        cpu_s = float(bench["user_s"]) + float(bench["sys_s"])
        return float(bench["ops_per_s"]), cpu_s / float(bench["ops"]) * 1e9


def at_least(low):
    """An argparse type: an integer of at least `low`."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be at least {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(
                f"must be at least {low}, got {value}")
        return value
    return parse


def main():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=sorted(VARIANTS))
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="build directory holding allocmark-child")
    parser.add_argument("--workload", default="churn")
    parser.add_argument("--threads", type=at_least(1), default=1)
    # The overhead's bootstrap interval needs two repetitions of each variant.
    parser.add_argument("--reps", type=at_least(2), default=20,
                        help="repetitions of each variant (at least 2)")
    parser.add_argument("--param", action="append", default=[],
                        help="NAME=VALUE for the workload")
    parser.add_argument("--every", type=at_least(1), default=64,
                        help="latency: time every EVERY-th replacement "
                        "(default: %(default)s, churn's own default)")
    parser.add_argument("-o", "--output", help="write the figures as JSON")
    args = parser.parse_args()
    child = os.path.join(args.build, "allocmark-child")
    if not os.access(child, os.X_OK):
        parser.error(f"no {child} (build first, or --build)")
    (name_a, extra_a), (name_b, extra_b) = VARIANTS[args.what]
    name_a = name_a.format(every=args.every)
    extra_a = [arg.format(every=args.every) for arg in extra_a]
    if args.what == "latency" and args.workload != "churn":
        parser.error("latency is measured on churn")
    a, b, cpu_a, cpu_b = [], [], [], []
    for rep in range(args.reps):
        order = [(a, cpu_a, extra_a), (b, cpu_b, extra_b)]
        if rep % 2 == 1:
            order.reverse()
        for values, cpu, extra in order:
            rate, cpu_ns = run_once(child, args.workload, args.threads, extra,
                                    args.param)
            values.append(rate)
            cpu.append(cpu_ns)
    ratio = stats.ratio_of_medians(a, b)
    low, high = stats.bootstrap_ci_ratio(a, b)
    cpu_ratio = stats.ratio_of_medians(cpu_a, cpu_b)
    cpu_low, cpu_high = stats.bootstrap_ci_ratio(cpu_a, cpu_b)
    doc = {"what": args.what, "workload": args.workload,
           "threads": args.threads, "reps": args.reps, "params": args.param,
           "instrumented": name_a, "bare": name_b,
           "median_ops_per_s": {name_a: stats.median(a),
                                name_b: stats.median(b)},
           "overhead": 1 - ratio,
           "overhead_ci": [1 - high, 1 - low],
           "p_value": mann_whitney_p(a, b),
           "cpu_overhead": cpu_ratio - 1,
           "cpu_overhead_ci": [cpu_low - 1, cpu_high - 1],
           "cpu_p_value": mann_whitney_p(cpu_a, cpu_b),
           "ops_per_s": {name_a: a, name_b: b},
           "cpu_ns_per_op": {name_a: cpu_a, name_b: cpu_b}}
    print(f"{args.what} overhead on {args.workload} (threads={args.threads}, "
          f"{args.reps} interleaved repetitions each):")
    print(f"  {name_a:<26} median {stats.median(a):.4g} ops/s")
    print(f"  {name_b:<26} median {stats.median(b):.4g} ops/s")
    print(f"  overhead {100 * (1 - ratio):+.2f}%  95% CI "
          f"[{100 * (1 - high):+.2f}%, {100 * (1 - low):+.2f}%]  "
          f"Mann-Whitney p={doc['p_value']:.3f}")
    print(f"  CPU time per op (user+sys, all threads): "
          f"{stats.median(cpu_a):.1f} vs {stats.median(cpu_b):.1f} ns, "
          f"overhead {100 * (cpu_ratio - 1):+.2f}%  95% CI "
          f"[{100 * (cpu_low - 1):+.2f}%, {100 * (cpu_high - 1):+.2f}%]  "
          f"p={doc['cpu_p_value']:.3f}")
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
