#!/usr/bin/python3
"""Count the instructions of allocmark's allocator fast paths with callgrind.

Runs the fast-path probe (bench/fastpath_probe.cc, built as
BUILD/bench/allocmark-fastpath-probe) under `valgrind --tool=callgrind`,
reads each probe function's self instruction count (Ir) with
callgrind_annotate and divides it by the number of calls. The probe
functions are not inlined and take the size at run time, so each count is
the fast path's instructions plus the probe's own `ret`; both figures are
printed. Counts are exact and repeatable, unlike timings on a shared VM.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# probe function -> (what it measures, target in instructions or None)
PROBES = {
    "probe_arena_allocate": ("arena allocate", 8),
    "probe_slab_allocate": ("slab allocate (size-class, run-time size)", 10),
    "probe_slab_free": ("slab free (size-class)", 8),
    "probe_pool_allocate": ("object pool allocate", None),
    "probe_pool_free": ("object pool free", None),
    "probe_slab_mt_allocate": ("slab-mt allocate (owner thread)", None),
    "probe_slab_mt_free": ("slab-mt free (owner thread)", None),
}


def run_callgrind(probe: Path, size: int) -> tuple[dict[str, int], int]:
    """Returns ({probe function: self Ir}, calls per probe)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             str(probe), str(size)],
            capture_output=True, text=True, check=True)
        match = re.search(r"calls_per_probe (\d+)", run.stdout)
        if not match:
            sys.exit(f"count_instructions: no call count in the probe's output: {run.stdout!r}")
        calls = int(match.group(1))
        annotate = subprocess.run(
            ["callgrind_annotate", "--inclusive=no", "--threshold=100", str(out)],
            capture_output=True, text=True, check=True).stdout
    counts = {}
    for line in annotate.splitlines():
        m = re.match(r"\s*([\d,]+)\s.*?\b(probe_\w+)\b", line)
        if m and m.group(2) in PROBES:
            counts[m.group(2)] = int(m.group(1).replace(",", ""))
    missing = set(PROBES) - set(counts)
    if missing:
        sys.exit(f"count_instructions: callgrind_annotate shows no {sorted(missing)}")
    return counts, calls


def measure(probe: Path, size: int) -> list[dict]:
    counts, calls = run_callgrind(probe, size)
    rows = []
    for name, (what, target) in PROBES.items():
        with_ret = counts[name] / calls
        rows.append({
            "probe": name,
            "what": what,
            "instructions_with_ret": round(with_ret, 2),
            "instructions": round(with_ret - 1, 2),
            "target": target,
            "met": None if target is None else with_ret - 1 <= target,
        })
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="CMake build directory (default: build)")
    parser.add_argument("--size", type=int, default=48, help="request size in bytes (default: 48)")
    parser.add_argument("-o", "--output", help="also write the rows as JSON to this file")
    args = parser.parse_args()
    probe = Path(args.build) / "bench" / "allocmark-fastpath-probe"
    if not probe.exists():
        print(f"count_instructions: {probe} not found (build the project first)", file=sys.stderr)
        return 2
    rows = measure(probe, args.size)
    print(f"{'fast path':44} {'instr.':>7} {'+ret':>6} {'target':>7}")
    for r in rows:
        target = "-" if r["target"] is None else f"<= {r['target']}"
        print(f"{r['what']:44} {r['instructions']:7.2f} {r['instructions_with_ret']:6.2f} {target:>7}")
    if args.output:
        Path(args.output).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
