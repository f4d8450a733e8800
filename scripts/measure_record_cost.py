"""Measures what `allocmark record` costs a program: each command runs
--runs times plainly and --runs times under the recorder, interleaved; the
median wall times give the slowdown, and the trace its size per million
recorded calls. Prints one Markdown table (the README's)."""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT_COMMANDS = [
    ["/usr/bin/python3", "-c", "import json; json.dumps([{'a': str(i)} for i in range(200000)])"],
    ["/usr/bin/env", "PYTHONMALLOC=malloc", "/usr/bin/python3", "-c",
     "import json; json.dumps([{'a': str(i)} for i in range(200000)])"],
]


def timed(argv):
    start = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build", help="the build directory (allocmark's)")
    parser.add_argument("--runs", type=int, default=5, help="runs of each command, each way")
    parser.add_argument("--program", action="store_true",
                        help="also the producer/consumer test program (tests/record)")
    parser.add_argument("-o", "--output", help="write the table here (default: stdout)")
    args = parser.parse_args()
    build = pathlib.Path(args.build).resolve()
    allocmark = str(build / "allocmark")
    commands = list(DEFAULT_COMMANDS)
    if args.program:
        commands.append([str(build / "allocmark-record-test-program"), "200000"])
    rows = ["| command | calls | plain s | recorded s | slowdown | trace bytes | bytes per 1M calls |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as scratch:
        trace = pathlib.Path(scratch) / "t"
        for argv in commands:
            plain, recorded = [], []
            for _ in range(args.runs):
                plain.append(timed(argv))
                recorded.append(timed([allocmark, "record", "-o", str(trace), "--", *argv]))
            profile = json.loads(subprocess.run([allocmark, "profile", str(trace), "--json"], check=True,
                                                capture_output=True, text=True).stdout)
            calls = profile["calls"]
            size = trace.stat().st_size
            p, r = statistics.median(plain), statistics.median(recorded)
            shown = " ".join(argv) if len(" ".join(argv)) < 60 else " ".join(argv)[:57] + "..."
            rows.append(f"| `{shown}` | {calls} | {p:.3f} | {r:.3f} | {r / p:.2f}x | {size} | "
                        f"{size / calls * 1e6 / 1e6:.2f} MB |")
    text = "\n".join(rows) + "\n"
    if args.output:
        pathlib.Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
