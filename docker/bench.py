#!/usr/bin/python3
"""Run the allocmark suite in a container: `make docker-bench`.

Builds the image (docker/Dockerfile) on a Debian bookworm base, then runs the
whole matrix -- every workload, heap and allocator -- in ONE container pinned
to a CPU set and a memory limit (docker run --cpuset-cpus, --memory), writing
one run to OUT/<run-id>/ through a volume, and renders its report in the image
when scripts/render_report.py exists.

One container for the whole matrix, not one per allocator: allocmark
interleaves the repetitions of every allocator (A B C D, D C B A, ...) so that
drift of the machine over time cancels instead of favouring whichever
allocator ran in the quiet minute; one container per allocator would run them
one after another, and give runs of different matrices that `allocmark merge`
rightly refuses. Every allocator still sees the same CPUs and the same memory
limit, because they are the container's.

Arguments after `--` go to `allocmark run` (e.g. -- --workloads churn --reps 5).
Without --base, the base image is built from the Debian mirror apt uses with
debootstrap (once per machine), so no registry is needed.
"""
import argparse
import os
import pathlib
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import engine  # noqa: E402


def allowed_cpus():
    """This process's CPU list, e.g. '0-3' (what --cpuset-cpus gets by default)."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    return f"0-{os.cpu_count() - 1}"


def default_memory():
    """Three quarters of the machine's memory, in whole GiB: the same limit for every allocator."""
    total_kib = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal:")))
    return f"{max(1, total_kib * 3 // 4 // (1024 * 1024))}g"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="quick", help="smoke, quick or full (default: quick)")
    parser.add_argument("--cpus", default=allowed_cpus(), help="docker --cpuset-cpus (default: %(default)s)")
    parser.add_argument("--memory", default=default_memory(), help="docker --memory, no swap (default: %(default)s)")
    parser.add_argument("-o", "--output", type=pathlib.Path, default=engine.REPO / "results",
                        help="results directory, mounted at /results (default: results/)")
    parser.add_argument("--run-id", default=time.strftime("%Y%m%d-%H%M%S") + "-docker", help="name of the run")
    parser.add_argument("--base", help="base image (default: a local debootstrap of bookworm)")
    parser.add_argument("--image", default="allocmark:local", help="tag of the built image (default: %(default)s)")
    parser.add_argument("--no-build", action="store_true", help="run the image --image as it is, without building")
    parser.add_argument("--upstream-allocators", default="all",
                        help="build argument UPSTREAM_ALLOCATORS: 'all' (default), 'none', or names "
                        "such as snmalloc,rpmalloc")
    parser.add_argument("--git-mirror", default=os.environ.get("ALLOCMARK_GIT_MIRROR", ""),
                        help="directory of <repo>.git mirrors to clone the upstream allocators from "
                        "(default: $ALLOCMARK_GIT_MIRROR; none: the upstream URLs)")
    parser.add_argument("run_args", nargs="*", help="after --: more `allocmark run` options")
    return parser.parse_args(argv)


def run_in_container(args, image_id, command):
    output = args.output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    docker = ["docker", "run", "--rm", "--cpuset-cpus", args.cpus,
              "--memory", args.memory, "--memory-swap", args.memory,
              "-v", f"{output}:/results",
              "-e", f"ALLOCMARK_CONTAINER_IMAGE={args.image}@{image_id}"]
    if os.geteuid() != 0:  # results owned by the user who ran this, not by root
        docker += ["--user", f"{os.getuid()}:{os.getgid()}"]
    return subprocess.run([*docker, args.image, *command]).returncode


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with engine.DockerEngine():
        if args.no_build:
            image_id = subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", args.image],
                                      capture_output=True, text=True).stdout.strip()
            if not image_id:
                engine.log(f"no image {args.image}: build it first (leave out --no-build)")
                return 2
        else:
            image_id = engine.build_image(args.base or engine.local_base_image(), args.image,
                                          args.upstream_allocators, args.git_mirror)
        engine.log(f"running the {args.profile} suite in {args.image} on CPUs {args.cpus}, memory {args.memory}")
        status = run_in_container(args, image_id, ["run", "--profile", args.profile, "--run-id", args.run_id,
                                                   *args.run_args])
        run_dir = args.output / args.run_id
        if status not in (0, 1):  # 1: some cell failed, and the run says which
            return status
        has_report = subprocess.run(["docker", "run", "--rm", args.image, "test", "-f", "scripts/render_report.py"],
                                    capture_output=True).returncode == 0
        if has_report and run_in_container(args, image_id, ["python3", "scripts/render_report.py",
                                                             f"/results/{args.run_id}"]) != 0:
            engine.log(f"rendering the report failed; try: make report RUN={run_dir}")
        engine.log(f"results: {run_dir}")
        return status


if __name__ == "__main__":
    sys.exit(main())
