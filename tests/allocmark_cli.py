"""Running the built allocmark from the tests, and the process allocators this
machine has: the suites that drive the real binaries share these (beside
run_files.py, which reads what the runs wrote)."""
import os
import pathlib
import subprocess

import pytest

BUILD = pathlib.Path(os.environ.get("ALLOCMARK_BUILD", pathlib.Path(__file__).resolve().parents[1] / "build"))
ALLOCMARK = BUILD / "allocmark"

# Debian's libraries of the process allocators, by upstream name, in the order
# allocmark lists them (glibc, the default, has none to preload).
LIBDIR = pathlib.Path("/usr/lib/x86_64-linux-gnu")
LIBRARIES = {"jemalloc": LIBDIR / "libjemalloc.so.2",
             "tcmalloc": LIBDIR / "libtcmalloc_minimal.so.4",
             "mimalloc": LIBDIR / "libmimalloc.so.2"}
INSTALLED = ["glibc"] + [name for name, library in LIBRARIES.items() if library.exists()]


def run_allocmark(*args, check=None, env=None, timeout=600):
    """Runs allocmark with `args` (each passed through str) to the end, with
    `env` added to this process's environment; returns the CompletedProcess
    (text mode). With `check`, asserts that the exit status is `check`."""
    full_env = dict(os.environ, **(env or {}))
    proc = subprocess.run([str(ALLOCMARK), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if check is not None:
        assert proc.returncode == check, proc.stderr
    return proc


def need_allocmark():
    """Skips the calling test when this build has no allocmark binary."""
    if not os.access(ALLOCMARK, os.X_OK):
        pytest.skip(f"no allocmark binary at {ALLOCMARK} (set ALLOCMARK_BUILD)")
