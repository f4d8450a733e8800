#!/usr/bin/python3
"""Compare allocators, or runs, with confidence intervals and a U test.

  compare_runs.py RUN                 each allocator against the baseline
                                      (--baseline, glibc by default), per
                                      workload configuration of one run
  compare_runs.py RUN_A RUN_B         every series of RUN_B against the same
                                      series of RUN_A (ratio B / A)
  compare_runs.py --agreement A B     do two runs of one matrix agree? Of
                                      each ratio-vs-baseline: does the estimate
                                      of one run lie in the other's 95%
                                      interval (both ways, one way), or is it
                                      flagged noisy; and is the difference
                                      significant, tested as a family

For each comparison: the ratio of medians of --metric (ops_per_s by default),
its 95% percentile-bootstrap interval (allocmark_stats, fixed seed), the
two-sided Mann-Whitney U p-value (scipy), and a verdict: better, worse, "no
significant difference" (p >= --alpha), or "too few repetitions" when even
completely separated samples could not reach p < alpha (3 + 3 repetitions
cannot: the smallest exact p is 0.10). A comparison is noisy when either side
is noisy by allocmark_stats' rule or the ratio's interval is wider than +-10%.

Where the runs measured it (allocmark run --callgrind, --perf), each
comparison also gives the allocator's share of the timed region's
instructions and time, of the compared series and of its baseline: a low
share means the workload measures its own code more than the allocator, and
the ratio understates the allocator's difference.

--json prints a machine-readable document instead of the table (allocmark
run --until-stable reads it, with --stable-target, from -o FILE). Exit
status: 0, or 1 when --agreement finds a ratio that differs between the runs
(its bootstrap test of equal ratios significant after Holm's correction for
the number of ratios), 2 for bad input (one line on stderr naming the file
and line).
"""

import argparse
import json
import math
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import allocmark_results as results  # noqa: E402
import allocmark_stats as stats  # noqa: E402
from allocmark_tables import LOW_SHARE_NOTE  # noqa: E402

ALPHA = 0.05
HIGHER_IS_BETTER = ("ops_per_s", "ops")
REMEDY = stats.NOISY_REMEDY + "; allocmark run --until-stable adds them"
# The allocator's shares a comparison shows: (JSON key, table heading).
SHARES = (("allocator_instruction_share", "instr."),
          ("allocator_time_share", "time"))


class UsageError(Exception):
    """Bad arguments: one line, exit status 2."""


def metric_values(series, metric):
    """The metric over the ok repetitions: from the results module's parsed
    figures, or from the raw row for fields it does not list."""
    out = []
    for cell in series.ok_cells:
        value = cell.metrics.get(metric)
        if value is None and metric not in results.METRICS:
            raw = cell.raw.get(metric)
            if isinstance(raw, (int, float)) and not isinstance(raw, bool) \
                    and math.isfinite(raw):
                value = float(raw)
        if value is not None:
            out.append(value)
    return out


def min_exact_p(n1, n2):
    """Smallest two-sided p-value an exact U test can give for n1 + n2
    values: both samples completely separated."""
    return min(1.0, 2.0 / math.comb(n1 + n2, n1))


def mann_whitney_p(a, b):
    """Two-sided Mann-Whitney U p-value; 1.0 when every value is equal."""
    from scipy.stats import mannwhitneyu
    if len(set(a) | set(b)) == 1:
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(mannwhitneyu(a, b, alternative="two-sided").pvalue)


def compare(num, den, metric, alpha):
    """One comparison of repetitions `num` against `den`: a dict with the
    medians, ratio, interval, p-value, verdict and noisy flag."""
    out = {"n": len(num), "n_baseline": len(den)}
    if not num or not den:
        out.update(verdict="failed", noisy=False)
        return out
    s_num, s_den = stats.summarise(num), stats.summarise(den)
    out["median"] = s_num.median
    out["median_baseline"] = s_den.median
    if s_den.median <= 0:
        out.update(verdict="baseline median is 0", noisy=False)
        return out
    ratio = s_num.median / s_den.median
    out["ratio"] = ratio
    ci = stats.bootstrap_ci_ratio(num, den) if min(den) > 0 else None
    out["ci_low"], out["ci_high"] = (ci if ci else (None, None))
    half = (ci[1] - ci[0]) / 2 / ratio if ci and ratio else None
    out["rel_ci_half_width"] = half
    p = mann_whitney_p(num, den)
    out["p_value"] = p
    if p < alpha:
        higher = s_num.median > s_den.median
        good = higher == (metric in HIGHER_IS_BETTER)
        out["verdict"] = "better" if good else "worse"
    elif min_exact_p(len(num), len(den)) >= alpha and \
            p <= min_exact_p(len(num), len(den)) * (1 + 1e-9):
        # Completely separated, yet the U test cannot reach alpha at this n.
        out["verdict"] = "too few repetitions"
    else:
        out["verdict"] = "no significant difference"
    out["noisy"] = bool(s_num.noisy or s_den.noisy or
                        (half is not None and
                         half > stats.NOISY_CI_HALF_WIDTH))
    if out["noisy"]:
        out["remedy"] = REMEDY
    elif out["verdict"] == "too few repetitions":
        smallest = min_exact_p(len(num), len(den))
        out["remedy"] = ("the U test needs more repetitions (smallest p "
                         f"here {smallest:.2f}): --reps 5, or --until-stable")
    return out


def config_key(series):
    return (series.workload, tuple(sorted(series.params.items())),
            series.threads, series.heap)


def describe(series):
    return {"workload": series.workload, "variant": series.variant,
            "params": dict(series.params), "threads": series.threads,
            "heap": series.heap, "allocator": series.allocator}


def shares(series, base):
    """The allocator's shares of `series` (key) and of its baseline `base`
    (key + "_baseline"), those measured only."""
    out = {}
    for key, _ in SHARES:
        for name, s in ((key, series), (key + "_baseline", base)):
            value = s.median(key)
            if value is not None:
                out[name] = value
    return out


def pick_baseline(run, requested, explicit):
    names = run.allocators
    if requested in names:
        return requested
    if explicit:
        raise UsageError(f"{run.path}: no allocator '{requested}' to compare "
                         f"against (the run has: {', '.join(names)})")
    return names[0] if names else requested


def against_baseline(run, baseline, metric, baseline_heap=results.BASELINE_HEAP):
    """(series, the baseline's series, its values, the baseline's values)
    of `metric` for every series of one run but the baseline's: the baseline
    allocator on the baseline heap, same workload, params and threads
    (allocmark_results.baseline_series, the one rule of every ratio)."""
    groups = {}
    for s in run.series():
        groups.setdefault(results.ratio_group(s), []).append(s)
    for group in groups.values():
        base = results.baseline_series(group, baseline, baseline_heap)
        if base is None:
            continue
        den = metric_values(base, metric)
        for s in group:
            if s is not base:
                yield s, base, metric_values(s, metric), den


def compare_allocators(run, baseline, metric, alpha):
    """Every allocator against `baseline`, per configuration of one run."""
    rows = []
    for s, base, num, den in against_baseline(run, baseline, metric):
        row = describe(s)
        row["baseline"] = baseline
        row.update(compare(num, den, metric, alpha))
        row.update(shares(s, base))
        rows.append(row)
    return rows


def compare_two_runs(run_a, run_b, metric, alpha):
    """Each series of run_b against the same series of run_a."""
    a_series = {config_key(s) + (s.allocator,): s for s in run_a.series()}
    rows = []
    for s in run_b.series():
        base = a_series.get(config_key(s) + (s.allocator,))
        if base is None:
            continue
        row = describe(s)
        row["baseline"] = f"{s.allocator} in {run_a.run_id}"
        row.update(compare(metric_values(s, metric),
                           metric_values(base, metric), metric, alpha))
        row.update(shares(s, base))
        rows.append(row)
    if not rows:
        raise UsageError(f"{run_b.path}: no series in common with "
                         f"{run_a.path}")
    return rows


def within(value, low, high):
    return low is not None and low <= value <= high


def agreement(run_a, run_b, baseline, metric, alpha):
    """Pairs of ratio-vs-baseline, one from each run, and whether they
    agree. "agree": each ratio lies inside the other run's 95% interval;
    "agree one way": one of them does (usually the estimate with the
    narrower interval, inside the wider one; even two exact intervals of
    equal width around two estimates of one ratio hold each other's estimate
    only 83% of the time: docs/methodology.md); "noisy": neither does, but a
    comparison is flagged noisy; "outside": neither does and neither is
    noisy.

    Each pair also gets a test of the question itself, "do the two runs
    measure the same ratio?": the two-sided bootstrap p-value of equal
    ratios (p_equal), Holm-adjusted over all pairs (p_holm). Checking m
    ratios at 95% each finds about 0.05 m differences where none exists;
    p_holm < alpha is a difference that survives the number of ratios
    checked ("differs")."""
    rows_a = compare_allocators(run_a, baseline, metric, alpha)
    rows_b = compare_allocators(run_b, baseline, metric, alpha)
    index_b = {_row_key(r): r for r in rows_b}
    pairs = []
    for ra in rows_a:
        rb = index_b.get(_row_key(ra))
        if rb is None or "ratio" not in ra or "ratio" not in rb:
            continue
        a_in_b = within(ra["ratio"], rb.get("ci_low"), rb.get("ci_high"))
        b_in_a = within(rb["ratio"], ra.get("ci_low"), ra.get("ci_high"))
        if a_in_b and b_in_a:
            outcome = "agree"
        elif a_in_b or b_in_a:
            outcome = "agree one way"
        elif ra["noisy"] or rb["noisy"]:
            outcome = "noisy"
        else:
            outcome = "outside"
        pair = {k: ra[k] for k in ("workload", "variant", "params",
                                   "threads", "heap", "allocator",
                                   "baseline")}
        overlap = (ra.get("ci_low") is not None and rb.get("ci_low") is not None
                   and ra["ci_low"] <= rb["ci_high"] and rb["ci_low"] <= ra["ci_high"])
        pair.update(a=ra, b=rb, a_in_b_ci=a_in_b, b_in_a_ci=b_in_a,
                    intervals_overlap=overlap, outcome=outcome)
        pairs.append(pair)
    if not pairs:
        raise UsageError(f"{run_b.path}: no ratio in common with "
                         f"{run_a.path} (same matrix and baseline?)")
    values_a = ratio_values(run_a, baseline, metric)
    values_b = ratio_values(run_b, baseline, metric)
    for pair in pairs:
        key = _row_key(pair)
        samples_a = stats.bootstrap_ratios(*values_a[key])
        samples_b = stats.bootstrap_ratios(*values_b[key], seed=stats.BOOTSTRAP_SEED + 1)
        pair["p_equal"] = (None if samples_a is None or samples_b is None
                           else stats.bootstrap_p_equal(samples_a, samples_b))
    tested = [p for p in pairs if p["p_equal"] is not None]
    for pair, adjusted in zip(tested, stats.holm([p["p_equal"] for p in tested])):
        pair["p_holm"] = adjusted
        pair["differs"] = adjusted < alpha
    return pairs


def ratio_values(run, baseline, metric):
    """{(workload, params, threads, heap, allocator): (values, baseline's
    values)} of `metric` in one run, for every allocator but the baseline."""
    return {config_key(s) + (s.allocator,): (num, den)
            for s, _, num, den in against_baseline(run, baseline, metric)}


def _row_key(row):
    return (row["workload"], tuple(sorted(row["params"].items())),
            row["threads"], row["heap"], row["allocator"])


def unstable_configs(run, rows, metric, target):
    """Configurations (workload, params, threads, heap) that need more
    repetitions: a ratio whose interval's relative half-width is above
    `target` or unknown (n < 2). A configuration with no ratio (one
    allocator, or no baseline) is judged by its series' own interval; one
    with failed repetitions only is left alone (more would fail too)."""
    out = {}
    judged = set()
    for row in rows:
        key = _row_key(row)[:4]
        judged.add(key)
        if row["verdict"] == "failed" or "ratio" not in row:
            continue
        half = row.get("rel_ci_half_width")
        if half is None or half > target:
            out[key] = row
    for s in run.series():
        key = config_key(s)
        if key in judged:
            continue
        values = metric_values(s, metric)
        if not values:
            continue
        half = stats.summarise(values).rel_ci_half_width
        if half is None or half > target:
            out[key] = describe(s)
    return [{"workload": k[0], "params": dict(k[1]), "threads": k[2],
             "heap": k[3]} for k in out]


def fmt_num(value):
    if value is None:
        return "-"
    return f"{value:.4g}"


def fmt_ratio(row):
    if "ratio" not in row:
        return "-"
    if row.get("ci_low") is None:
        return f"{row['ratio']:.3f} (n<2)"
    return f"{row['ratio']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def label(row):
    name = f"{row['workload']} {row['variant']}".strip()
    return f"{name} t{row['threads']} {row['heap']}"


def fmt_shares(row, key):
    """`key`'s share of the compared series / of its baseline, as
    percentages; "-" for a side not measured."""
    return " / ".join(
        "-" if row.get(name) is None else f"{row[name]:.0%}"
        for name in (key, key + "_baseline"))


def table(rows, metric, header):
    with_shares = any(key in r or key + "_baseline" in r
                      for r in rows for key, _ in SHARES)
    share_heads = "".join(f" {f'in alloc. {head}':<17}"
                          for _, head in SHARES) if with_shares else ""
    lines = [header,
             f"{'configuration':<34} {'allocator':<12} {'median':>11} "
             f"{'baseline':>11} {'ratio [95% CI]':<26}{share_heads} "
             f"{'p':>6} {'n':>5}  verdict"]
    notes = []
    for r in rows:
        p = r.get("p_value")
        verdict = r["verdict"] + (" [noisy]" if r.get("noisy") else "")
        share_cells = "".join(f" {fmt_shares(r, key):<17}"
                              for key, _ in SHARES) if with_shares else ""
        lines.append(
            f"{label(r):<34} {r['allocator']:<12} "
            f"{fmt_num(r.get('median')):>11} "
            f"{fmt_num(r.get('median_baseline')):>11} {fmt_ratio(r):<26}"
            f"{share_cells} "
            f"{'-' if p is None else f'{p:.3f}':>6} "
            f"{r['n']:>2}/{r['n_baseline']:<2}  {verdict}")
        if r.get("remedy") and r["remedy"] not in notes:
            notes.append(r["remedy"])
    direction = "higher" if metric in HIGHER_IS_BETTER else "lower"
    meaning = results.MEANINGS.get(metric)
    named = f"{metric} ({meaning})" if meaning else metric
    lines.append(f"ratio = median / baseline median of {named} "
                 f"({direction} is better); p: two-sided Mann-Whitney U")
    if with_shares:
        lines.append("in alloc.: share of the timed region's instructions "
                     "(--callgrind) and time (--perf) in the allocator, "
                     "this series / its baseline (\"-\": not measured); "
                     + LOW_SHARE_NOTE[0].lower() + LOW_SHARE_NOTE[1:])
    lines += [f"note: {n}" for n in notes]
    return "\n".join(lines) + "\n"


def agreement_table(pairs, alpha):
    lines = [f"{'configuration':<34} {'allocator':<12} "
             f"{'run A ratio [95% CI]':<26} {'run B ratio [95% CI]':<26} "
             f"{'p (Holm)':<9} outcome"]
    for p in pairs:
        outcome = p["outcome"]
        if outcome == "outside":
            outcome = ("outside both intervals, which overlap" if p["intervals_overlap"]
                       else "outside both intervals, which are disjoint")
        if p.get("differs"):
            outcome += "; DIFFERS"
        holm_p = "-" if p.get("p_holm") is None else f"{p['p_holm']:.3g}"
        lines.append(f"{label(p):<34} {p['allocator']:<12} "
                     f"{fmt_ratio(p['a']):<26} {fmt_ratio(p['b']):<26} "
                     f"{holm_p:<9} {outcome}")
    counts = {k: sum(1 for p in pairs if p["outcome"] == k)
              for k in ("agree", "agree one way", "noisy", "outside")}
    lines.append(f"{len(pairs)} ratios: {counts['agree']} each inside the other's "
                 f"95% interval, {counts['agree one way']} one way, "
                 f"{counts['noisy']} outside but flagged noisy, "
                 f"{counts['outside']} outside both intervals")
    tested = sum(1 for p in pairs if p.get("p_holm") is not None)
    differ = sum(1 for p in pairs if p.get("differs"))
    lines.append(f"tested as a family (bootstrap test of equal ratios, Holm over "
                 f"{tested}, alpha {alpha:g}): {differ} differ")
    return "\n".join(lines) + "\n"


def probability(text):
    """argparse type of --alpha: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number between 0 and 1 (exclusive)")
    return value


def write_output(path, text):
    """Write `text` to `path` whole (through a temporary file beside it), or
    raise UsageError saying why it cannot be written."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as error:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN",
                        help="run directories (results/<run-id>)")
    parser.add_argument("--baseline", default=None,
                        help="allocator the others are compared with "
                        "(default: glibc, else the run's first)")
    parser.add_argument("--metric", default="ops_per_s",
                        help="cells.jsonl field compared (default: "
                        "ops_per_s; e.g. peak_rss_bytes, p99_ns, "
                        "frag_time_avg, instructions_per_op)")
    parser.add_argument("--alpha", type=probability, default=ALPHA,
                        help="significance level of the U test, between 0 "
                        "and 1 (default: %(default)s)")
    parser.add_argument("--agreement", action="store_true",
                        help="check that two runs of one matrix agree")
    parser.add_argument("--stable-target", type=float, default=None,
                        help="with --json: list the configurations whose "
                        "ratio interval's relative half-width is above this")
    parser.add_argument("--json", action="store_true",
                        help="print JSON instead of a table")
    parser.add_argument("-o", "--output", help="write to this file")
    args = parser.parse_args(argv)
    if len(args.runs) > 2:
        parser.error("give one run (allocators) or two runs")
    if args.agreement and len(args.runs) != 2:
        parser.error("--agreement takes two runs")
    if args.stable_target is not None and args.stable_target <= 0:
        parser.error("--stable-target must be above 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        runs = [results.load_run(path) for path in args.runs]
        doc = {"metric": args.metric,
               "higher_is_better": args.metric in HIGHER_IS_BETTER,
               "alpha": args.alpha, "confidence": stats.CONFIDENCE,
               "runs": [r.path for r in runs]}
        if not any(metric_values(s, args.metric)
                   for r in runs for s in r.series()) and \
                any(c.ok for r in runs for c in r.cells):
            raise UsageError(f"{runs[0].path}: no cell has '{args.metric}'")
        baseline = pick_baseline(runs[0], args.baseline or "glibc",
                                 args.baseline is not None)
        if args.agreement:
            pairs = agreement(runs[0], runs[1], baseline, args.metric,
                              args.alpha)
            doc.update(mode="agreement", baseline=baseline, pairs=pairs,
                       agree=not any(p.get("differs") for p in pairs))
            text = agreement_table(pairs, args.alpha)
        elif len(runs) == 2:
            rows = compare_two_runs(runs[0], runs[1], args.metric, args.alpha)
            doc.update(mode="runs", comparisons=rows)
            text = table(rows, args.metric,
                         f"{runs[1].run_id} against {runs[0].run_id}")
        else:
            rows = compare_allocators(runs[0], baseline, args.metric,
                                      args.alpha)
            doc.update(mode="allocators", baseline=baseline,
                       comparisons=rows)
            if args.stable_target is not None:
                doc["stable_target"] = args.stable_target
                doc["unstable"] = unstable_configs(
                    runs[0], rows, args.metric, args.stable_target)
            text = table(rows, args.metric,
                         f"{runs[0].run_id}: against {baseline}")
        if args.json:
            text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
        if args.output:
            write_output(args.output, text)
        else:
            sys.stdout.write(text)
    except results.ResultError as error:
        results.exit_on_error(error, "allocmark compare")
    except UsageError as error:
        print(f"allocmark compare: {error}", file=sys.stderr)
        return 2
    if args.agreement and not doc["agree"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
