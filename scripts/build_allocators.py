#!/usr/bin/python3
"""Build the allocators Debian does not ship, at pinned upstream commits.

The upstream rows of allocmark's one allocator table (allocators/
process_allocators.cc) say everything: repository, tag, commit, the recipe in
the project's own build system, and where the library goes. This script reads
them from `allocmark list --json`, clones each tag with git (from the upstream
URL, or from $ALLOCMARK_GIT_MIRROR/<repo>.git when that variable names a
directory), checks that the tag is the pinned commit, builds with the one
optimisation level below, and puts the library where allocmark looks for it
(upstream-allocators/<name>/ beside the binary), with build.json (what was built, how,
in how long), a `version` file (the tag) and build.log. A library already
built at the pinned commit with the same flags is left alone. Builds run in
parallel; one that fails names its log and leaves the others usable.

Exit status: 0 when every allocator asked for is built, 1 when one or more
failed (each named with its log), 2 for bad arguments.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

# Every upstream build gets this in CFLAGS and CXXFLAGS (and wherever a recipe
# says {cflags}): the optimisation level the projects' own release builds use,
# no -march and no LTO, so that no allocator is built better than another.
CFLAGS = "-O3 -g"
MIRROR_ENV = "ALLOCMARK_GIT_MIRROR"


class BuildError(Exception):
    """One allocator could not be fetched or built; the message is one line."""


def upstream_rows(allocmark):
    """The upstream rows of `allocmark list --json`."""
    try:
        proc = subprocess.run([str(allocmark), "list", "--json"], capture_output=True, text=True,
                              check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"build_allocators: cannot list allocators with {allocmark}: {e}")
    return [a for a in json.loads(proc.stdout)["allocators"] if a["source"] == "upstream"]


def clone_url(row, mirror):
    """Where to clone `row` from: the mirror's <repo>.git, or upstream."""
    up = row["upstream"]
    if not mirror:
        return up["url"]
    repo = pathlib.Path(mirror).resolve() / f"{up['repo']}.git"
    if not repo.is_dir():
        raise BuildError(f"{MIRROR_ENV}={mirror} has no {up['repo']}.git "
                         f"(wanted: tag {up['tag']}, commit {up['commit']})")
    return f"file://{repo}"


def run_logged(command, log, **kwargs):
    """Runs `command`, its output appended to `log`; True when it succeeded."""
    with open(log, "a") as out:
        out.write(f"$ {command if isinstance(command, str) else ' '.join(map(str, command))}\n")
        out.flush()
        return subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, **kwargs).returncode == 0


def fetch(row, url, src, log):
    """Clones the row's tag into `src` and checks that it is the pinned commit."""
    up = row["upstream"]
    if src.exists():
        shutil.rmtree(src)
    if not run_logged(["git", "clone", "--quiet", "--depth", "1", "--branch", up["tag"], url, str(src)],
                      log):
        raise BuildError(f"{url} has no tag {up['tag']} (commit {up['commit']}) or cannot be reached "
                         f"(see {log})")
    head = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    if head != up["commit"]:
        raise BuildError(f"{url} tag {up['tag']} is commit {head or 'unknown'}, "
                         f"not the pinned {up['commit']}")


def up_to_date(row, record_path):
    """True when the library is there, built at the pinned commit with CFLAGS."""
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        return False
    return (record.get("commit") == row["upstream"]["commit"] and record.get("cflags") == CFLAGS
            and record.get("recipe") == row["upstream"]["recipe"]
            and pathlib.Path(row["library"]).is_file())


def build_one(row, mirror, jobs):
    """Fetches and builds one allocator; returns a one-line outcome or raises BuildError."""
    library = pathlib.Path(row["library"])
    dest = library.parent
    record_path = dest / "build.json"
    if up_to_date(row, record_path):
        return f"{row['name']}: up to date at {row['upstream']['commit'][:12]}"
    dest.mkdir(parents=True, exist_ok=True)
    log = dest / "build.log"
    log.write_text("")
    record_path.unlink(missing_ok=True)
    library.unlink(missing_ok=True)
    up = row["upstream"]
    started = time.monotonic()
    src = dest / "src"
    fetch(row, clone_url(row, mirror), src, log)
    recipe = up["recipe"].replace("{jobs}", str(jobs)).replace("{cflags}", CFLAGS)
    env = dict(os.environ, CFLAGS=CFLAGS, CXXFLAGS=CFLAGS)
    if not run_logged(["bash", "-euo", "pipefail", "-c", recipe], log, cwd=src, env=env):
        raise BuildError(f"the build failed (see {log})")
    built = src / up["output"]
    if not built.is_file():
        raise BuildError(f"the build made no {up['output']} (see {log})")
    partial = library.with_name(library.name + ".partial")
    shutil.copy2(built.resolve(), partial)
    partial.replace(library)
    (dest / "version").write_text(up["tag"] + "\n")
    seconds = round(time.monotonic() - started, 1)
    record_path.write_text(json.dumps({
        "name": row["name"], "repo": up["repo"], "url": up["url"], "cloned_from": clone_url(row, mirror),
        "tag": up["tag"], "commit": up["commit"], "recipe": up["recipe"], "cflags": CFLAGS,
        "jobs": jobs, "build_s": seconds, "library": str(library)}, indent=2) + "\n")
    return f"{row['name']}: built {up['tag']} ({up['commit'][:12]}) in {seconds} s -> {library}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allocmark", type=pathlib.Path, default=pathlib.Path("build/allocmark"),
                        help="the allocmark binary whose table and build tree to use")
    parser.add_argument("--only", default="", help="comma-separated allocator names (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2,
                        help="parallel jobs: allocators built at once, and each build's own -j")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    mirror = os.environ.get(MIRROR_ENV, "")
    if mirror and not pathlib.Path(mirror).is_dir():
        parser.error(f"{MIRROR_ENV}={mirror} is not a directory")
    rows = upstream_rows(args.allocmark)
    wanted = [n for n in args.only.split(",") if n]
    unknown = sorted(set(wanted) - {r["name"] for r in rows})
    if unknown:
        parser.error(f"unknown upstream allocator {', '.join(unknown)} "
                     f"(known: {', '.join(r['name'] for r in rows)})")
    if wanted:
        rows = [r for r in rows if r["name"] in wanted]
    started = time.monotonic()
    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(build_one, row, mirror, args.jobs): row for row in rows}
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]["name"]
            try:
                print(f"build_allocators: {future.result()}", flush=True)
            except BuildError as e:
                failed.append(name)
                print(f"build_allocators: {name}: {e}", file=sys.stderr, flush=True)
    print(f"build_allocators: {len(rows) - len(failed)} of {len(rows)} upstream allocators ready "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"build_allocators: failed: {', '.join(failed)}; the others are usable",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
