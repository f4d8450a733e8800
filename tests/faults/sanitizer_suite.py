#!/usr/bin/python3
"""Builds allocmark with sanitizers into its own directory and runs a suite under them.

  address,undefined: the whole smoke suite under glibc
  thread:            the threaded workloads (2 and 4 threads) under glibc

glibc only: a sanitizer runtime replaces malloc itself, and an LD_PRELOADed
allocator would fight it. Since the runtime is what serves malloc, the child's
proof names it, not glibc: the suite measures it as a user library
(--allocator sanitizer=/path/libasan.so.N, the runtime the binary is linked
with), which the proof then confirms. Every cell must be ok; a sanitizer report makes the
child exit or abort, so its cell fails and this script prints the cell's log
and exits 1. The build is incremental: a second run rebuilds only what changed.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

SOURCE = pathlib.Path(__file__).resolve().parents[2]
SUITES = {
    # sanitizer -> (allocmark run arguments, runtime options)
    # Not the program_* workloads: they preload the allocator, here the
    # sanitizer runtime, into programs that are not allocmark's (python3
    # leaks at exit by design), and allocmark's part of them is fork and wait.
    "address,undefined": (["--profile", "smoke", "--workloads", "^(?!program_)"],
                          {"ASAN_OPTIONS": "abort_on_error=1:detect_leaks=1:strict_string_checks=1",
                           "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1"}),
    "thread": (["--profile", "smoke", "--threads", "2,4", "--workloads", "^(?!program_)"],
               {"TSAN_OPTIONS": "halt_on_error=1:second_deadlock_stack=1"}),
}


def build(sanitizer, build_dir, jobs):
    """Configures and builds the driver and the child; the compiler's output
    is shown only when the build fails (sanitizers bring their own warnings)."""
    steps = [["cmake", "-S", str(SOURCE), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
              f"-DALLOCMARK_SANITIZE={sanitizer}", "-DALLOCMARK_BUILD_TESTS=OFF",
              "-DALLOCMARK_BUILD_MICROBENCH=OFF"],
             ["cmake", "--build", str(build_dir), "-j", str(jobs), "--target", "allocmark", "allocmark-child"]]
    for step in steps:
        proc = subprocess.run(step, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout[-4000:], proc.stderr[-8000:], file=sys.stderr)
            raise SystemExit(f"{sanitizer}: {' '.join(step)} failed")


def sanitizer_runtime(binary):
    """The path of the sanitizer runtime `binary` is linked with (libasan, libtsan)."""
    for line in subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout.splitlines():
        name, _, rest = line.strip().partition(" => ")
        if name.startswith(("libasan.", "libtsan.")):
            return rest.split(" (")[0]
    raise SystemExit(f"{binary} is linked with no sanitizer runtime")


def run_suite(sanitizer, build_dir):
    """Runs the suite; returns the number of cells, or raises SystemExit on a failure."""
    args, options = SUITES[sanitizer]
    runtime = sanitizer_runtime(build_dir / "allocmark-child")
    args = args + ["--allocators", "sanitizer", "--allocator", f"sanitizer={runtime}"]
    env = dict(os.environ, **options)
    env.pop("LD_PRELOAD", None)
    with tempfile.TemporaryDirectory(prefix="allocmark-sanitize-") as out:
        proc = subprocess.run([str(build_dir / "allocmark"), "run", *args, "--timeout", "300",
                               "--out", out, "--run-id", "run"], env=env, capture_output=True, text=True)
        run_dir = pathlib.Path(out) / "run"
        cells = []
        if (run_dir / "cells.jsonl").exists():
            cells = [json.loads(l) for l in (run_dir / "cells.jsonl").read_text().splitlines()]
        bad = [c for c in cells if c["status"] != "ok"]
        if proc.returncode != 0 or bad or not cells:
            print(f"{sanitizer}: allocmark exited {proc.returncode}\n{proc.stderr}", file=sys.stderr)
            for c in bad:
                print(f"--- {c['cell_id']}: {c.get('error')}", file=sys.stderr)
                log = run_dir / c.get("log", "")
                if log.is_file():
                    print(log.read_text(errors="replace")[-6000:], file=sys.stderr)
            raise SystemExit(1)
        return len(cells)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sanitizer", choices=sorted(SUITES), action="append",
                        help="suites to run (default: all)")
    parser.add_argument("-o", "--output", type=pathlib.Path, required=True,
                        help="directory for the sanitizer builds (one subdirectory each)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    for sanitizer in args.sanitizer or sorted(SUITES):
        build_dir = args.output / ("sanitize-" + sanitizer.replace(",", "-"))
        start = time.monotonic()
        build(sanitizer, build_dir, args.jobs)
        built = time.monotonic()
        cells = run_suite(sanitizer, build_dir)
        print(f"{sanitizer}: {cells} cells ok (build {built - start:.0f} s, suite {time.monotonic() - built:.0f} s)")


if __name__ == "__main__":
    main()
