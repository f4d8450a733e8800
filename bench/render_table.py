#!/usr/bin/python3
"""Run the allocator micro-suite and write its table into README.md.

Runs BUILD/bench/allocmark-microbench as separate processes: once with the
process allocator glibc (every benchmark but the memory one), once each with
mimalloc, jemalloc and tcmalloc preloaded (the benchmarks that call malloc,
beside allocmark's heaps in the same process), and once alone for the slab
memory benchmark (its resident-set deltas must be its own). Repetitions are
randomly interleaved; each figure is the median over repetitions, and ratios
compare two benchmarks of the same process. Single-threaded figures use CPU
time (the VM is shared, and descheduled time is not the allocator's);
cross-thread and Reset figures use real time. Instruction counts come from
scripts/count_instructions.py (callgrind). Each process's JSON is kept in
BUILD/microbench/, and the table replaces the text between the
<!-- microbench:begin --> and <!-- microbench:end --> markers.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import count_instructions  # noqa: E402

LIB = "/usr/lib/x86_64-linux-gnu"
PRELOADS = {
    "mimalloc": f"{LIB}/libmimalloc.so.2",
    "jemalloc": f"{LIB}/libjemalloc.so.2",
    "tcmalloc": f"{LIB}/libtcmalloc_minimal.so.4",
}
SPEED_FILTER = "^BM_(Arena|Frame|SlabPair|FixedChurn|FreeOrder|Xmalloc)"
PRELOAD_FILTER = "^BM_(FrameArena|FrameMalloc|SlabPair|FixedChurn|Xmalloc)"
BEGIN, END = "<!-- microbench:begin -->", "<!-- microbench:end -->"


def run_suite(binary: Path, out: Path, bench_filter: str, preload: str | None,
              repetitions: int, min_time: float) -> dict:
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    cmd = [str(binary), f"--benchmark_filter={bench_filter}",
           f"--benchmark_out={out}", "--benchmark_out_format=json",
           f"--benchmark_min_time={min_time}"]
    if repetitions > 1:
        cmd += [f"--benchmark_repetitions={repetitions}",
                "--benchmark_enable_random_interleaving=true"]
    print("+", ("LD_PRELOAD=" + preload + " ") if preload else "", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def check_allocator(result: dict, expected: str) -> None:
    seen = result["context"].get("process_allocator")
    if seen != expected:
        sys.exit(f"render_table: asked for {expected}, but {seen} serves malloc: the preload failed")


def per_item_ns(result: dict) -> dict[str, list[float]]:
    """Benchmark name -> ns per item of each repetition."""
    out: dict[str, list[float]] = {}
    for b in result["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        name = b.get("run_name", b["name"])
        if "items_per_second" in b:
            ns = 1e9 / b["items_per_second"]
        else:  # manual or real time per iteration
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
            ns = b["real_time"] * scale
        out.setdefault(name, []).append(ns)
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def fmt_ns(ns: float) -> str:
    return f"{ns:.2f} ns" if ns < 100 else f"{ns:,.0f} ns"


def row(target: str, measured: str, met: bool, how: str) -> str:
    return f"| {target} | {measured} | {'met' if met else '**missed**'} | {how} |"


def ratio_row(target: str, times: dict, slow: str, fast: str, goal: float, where: str) -> str:
    r = median(times[slow]) / median(times[fast])
    measured = f"{r:.2f}x ({fmt_ns(median(times[fast]))} vs {fmt_ns(median(times[slow]))})"
    if r < goal:
        measured += f"; {goal / r:.2f}x short"
    return row(target, measured, r >= goal, f"{fast} vs {slow}, {where}")


def build_table(glibc: dict, pre: dict, memory: dict, counts: list[dict],
                repetitions: int) -> str:
    g = per_item_ns(glibc)
    mi = per_item_ns(pre["mimalloc"])
    lines = ["| Target | Measured (median) | Result | Benchmarks, process |",
             "|---|---|---|---|"]
    alloc = median(g["BM_ArenaAllocate"])
    lines.append(row("arena allocate 8-64 B, warm: <= 1 ns", fmt_ns(alloc), alloc <= 1.0,
                     "BM_ArenaAllocate, glibc"))
    resets = {k: median(v) for k, v in g.items() if k.startswith("BM_ArenaReset")}
    worst = max(resets.values())
    lines.append(row("arena Reset(): < 200 ns whatever the object count",
                     ", ".join(f"{k.split('/')[1]} objects: {fmt_ns(v)}" for k, v in resets.items()),
                     worst < 200, "BM_ArenaReset (real time of Reset alone), glibc"))
    lines.append(ratio_row("(a) frames of 10^5 objects vs pmr::monotonic_buffer_resource with release(): >= 2.5x",
                           g, "BM_FramePmrMonotonic", "BM_FrameArena", 2.5, "glibc"))
    lines.append(ratio_row("(b) vs monotonic_buffer_resource with a pre-sized buffer: >= 1.3x",
                           g, "BM_FramePmrMonotonicPresized", "BM_FrameArena", 1.3, "glibc"))
    lines.append(ratio_row("arena frame vs glibc malloc/free of each object: >= 12x",
                           g, "BM_FrameMalloc", "BM_FrameArena", 12, "glibc"))
    lines.append(ratio_row("arena frame vs mimalloc malloc/free of each object: >= 5x",
                           mi, "BM_FrameMalloc", "BM_FrameArena", 5, "mimalloc preloaded"))
    pair = median(g["BM_SlabPair<SlabFixed<32>>"])
    lines.append(row("slab allocate+free pair, fixed size, hot: <= 2 ns", fmt_ns(pair), pair <= 2.0,
                     "BM_SlabPair<SlabFixed<32>>, glibc"))
    lines.append(ratio_row("slab pair vs std::pmr::unsynchronized_pool_resource: >= 3x",
                           g, "BM_SlabPair<PmrPoolFixed<32>>", "BM_SlabPair<SlabFixed<32>>", 3, "glibc"))
    lines.append(ratio_row("slab pair vs glibc: >= 4x",
                           g, "BM_SlabPair<MallocFixed<32>>", "BM_SlabPair<SlabFixed<32>>", 4, "glibc"))
    lines.append(ratio_row("slab vs mimalloc, fixed-size churn: >= 1.3x",
                           mi, "BM_FixedChurn<MallocFixed<64>>", "BM_FixedChurn<SlabFixed<64>>", 1.3,
                           "mimalloc preloaded"))
    for blocks in ("10000", "100000"):
        rnd = f"BM_FreeOrder<SlabFixed<64>>/1/{blocks}"
        lifo = f"BM_FreeOrder<SlabFixed<64>>/0/{blocks}"
        r = median(g[rnd]) / median(g[lifo])
        mr = median(g[f"BM_FreeOrder<MallocFixed<64>>/1/{blocks}"]) / median(
            g[f"BM_FreeOrder<MallocFixed<64>>/0/{blocks}"])
        lines.append(row(f"slab random free order vs LIFO, {int(blocks):,} blocks: <= 2x slower",
                         f"{r:.2f}x ({fmt_ns(median(g[lifo]))} vs {fmt_ns(median(g[rnd]))}); "
                         f"glibc malloc: {mr:.2f}x", r <= 2.0, "BM_FreeOrder, glibc"))
    for c in counts:
        if c["target"] is None:
            continue
        lines.append(row(f"instructions, {c['what']}: <= {c['target']}",
                         f"{c['instructions']:g} (+1 ret of the probe: {c['instructions_with_ret']:g})",
                         c["met"], "scripts/count_instructions.py (callgrind)"))
    mem = next(b for b in memory["benchmarks"] if b["name"].startswith("BM_SlabMemory"))
    steady = mem["rss_per_live_steady"]
    lines.append(row("slab steady-state peak RSS / peak live bytes: <= 1.10", f"{steady:.3f}",
                     steady <= 1.10, "BM_SlabMemory (2^20 x 64 B), glibc, own process"))
    after = mem["rss_per_live_after_trim"]
    lines.append(row("after freeing a random 90% and Trim(): <= 1.5",
                     f"{after:.2f} of the live bytes left ({mem['rss_per_peak_live_after_trim']:.2f} "
                     f"of the peak); slabs released: {mem['slabs_released_fraction']:.1%}",
                     after <= 1.5, "BM_SlabMemory, glibc, own process"))
    lines.append(ratio_row("slab-mt cross-thread frees (xmalloc, 2 threads) >= mimalloc",
                           mi, "BM_Xmalloc<MallocHeap>/real_time", "BM_Xmalloc<SlabMtHeap>/real_time", 1.0,
                           "mimalloc preloaded"))
    # Context: every process allocator on the benchmarks that call malloc.
    names = ["BM_FrameArena", "BM_FrameMalloc", "BM_SlabPair<SlabFixed<32>>",
             "BM_SlabPair<MallocFixed<32>>", "BM_FixedChurn<SlabFixed<64>>",
             "BM_FixedChurn<MallocFixed<64>>", "BM_Xmalloc<SlabMtHeap>/real_time",
             "BM_Xmalloc<MallocHeap>/real_time"]
    procs = {"glibc": g} | {k: per_item_ns(v) for k, v in pre.items()}
    lines += ["", "Median ns per item in each process (malloc = the process allocator):", "",
              "| Benchmark | " + " | ".join(procs) + " |", "|---|" + "---|" * len(procs)]
    for n in names:
        lines.append(f"| {n} | " + " | ".join(fmt_ns(median(p[n])) for p in procs.values()) + " |")
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    lines += ["", f"Generated {datetime.date.today()} by `bench/render_table.py` on {cpu}, "
              f"{os.cpu_count()} cores, {repetitions} interleaved repetitions per benchmark; "
              f"load average at the end: {os.getloadavg()[0]:.1f}."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", help="CMake build directory (default: build)")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per benchmark run")
    parser.add_argument("-o", "--output", default=str(ROOT / "README.md"),
                        help="Markdown file with the markers (default: README.md)")
    args = parser.parse_args()
    build = Path(args.build)
    binary = build / "bench" / "allocmark-microbench"
    if not binary.exists():
        print(f"render_table: {binary} not found (build the project first)", file=sys.stderr)
        return 2
    doc = Path(args.output)
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        print(f"render_table: {doc} lacks the {BEGIN} / {END} markers", file=sys.stderr)
        return 2
    outdir = build / "microbench"
    outdir.mkdir(exist_ok=True)
    glibc = run_suite(binary, outdir / "glibc.json", SPEED_FILTER, None, args.repetitions, args.min_time)
    check_allocator(glibc, "glibc")
    pre = {}
    for name, lib in PRELOADS.items():
        pre[name] = run_suite(binary, outdir / f"{name}.json", PRELOAD_FILTER, lib,
                              args.repetitions, args.min_time)
        check_allocator(pre[name], name)
    memory = run_suite(binary, outdir / "memory.json", "^BM_SlabMemory", None, 1, args.min_time)
    counts = count_instructions.measure(build / "bench" / "allocmark-fastpath-probe", 48)
    (outdir / "instructions.json").write_text(json.dumps(counts, indent=2) + "\n")
    table = build_table(glibc, pre, memory, counts, args.repetitions)
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
