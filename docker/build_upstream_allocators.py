#!/usr/bin/python3
"""Build newer upstream allocator releases from source, at pinned versions.

Each release is downloaded from its upstream (github.com), checked against a
pinned SHA-256, built as a shared library and copied to PREFIX/<name>/. The
list PREFIX/allocators.txt (one NAME=/path/lib.so line each) is what the
image's entrypoint turns into `allocmark run --allocator NAME=...`, so the
names below are the allocator names a run in the image uses. docker/Dockerfile
runs this in its `upstream` stage (build argument UPSTREAM_ALLOCATORS); with
an empty --only it builds nothing and leaves an empty PREFIX.
"""
import argparse
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class Release:
    url: str
    sha256: str  # of the archive at url; each is corroborated by two package recipes
    build: str  # "cmake" or "configure"
    configure_args: tuple[str, ...]
    library: str  # link to the built shared object, relative to the build tree


# Bump a version here (URL and checksum together) and nowhere else.
RELEASES = {
    "mimalloc2": Release(
        "https://github.com/microsoft/mimalloc/archive/refs/tags/v2.1.7.tar.gz",
        "0eed39319f139afde8515010ff59baf24de9e47ea316a315398e8027d198202d", "cmake",
        ("-DMI_BUILD_TESTS=OFF", "-DMI_BUILD_STATIC=OFF", "-DMI_BUILD_OBJECT=OFF"), "libmimalloc.so"),
    "mimalloc3": Release(
        "https://github.com/microsoft/mimalloc/archive/refs/tags/v3.0.10.tar.gz",
        "ee5556a31060f2289497f00126e90bf871e90933f98e21ea13dca3578e9ccfb5", "cmake",
        ("-DMI_BUILD_TESTS=OFF", "-DMI_BUILD_STATIC=OFF", "-DMI_BUILD_OBJECT=OFF"), "libmimalloc.so"),
    "jemalloc5.3": Release(
        "https://github.com/jemalloc/jemalloc/releases/download/5.3.0/jemalloc-5.3.0.tar.bz2",
        "2db82d1e7119df3e71b7640219b6dfe84789bc0537983c3b7ac4f7189aecfeaa", "configure",
        ("--disable-static",), "lib/libjemalloc.so"),
    "tcmalloc2.16": Release(
        "https://github.com/gperftools/gperftools/releases/download/gperftools-2.16/gperftools-2.16.tar.gz",
        "f12624af5c5987f2cc830ee534f754c3c5961eec08004c26a8b80de015cf056f", "configure",
        ("--enable-minimal", "--disable-static"), ".libs/libtcmalloc_minimal.so"),
}


def fetch(release: Release, work: pathlib.Path) -> pathlib.Path:
    """Downloads and unpacks the archive; returns its top directory."""
    archive = work / release.url.rsplit("/", 1)[1]
    with urllib.request.urlopen(release.url, timeout=120) as response, open(archive, "wb") as out:
        shutil.copyfileobj(response, out)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != release.sha256:
        sys.exit(f"build_upstream_allocators: {release.url}: sha256 {digest}, expected {release.sha256}")
    with tarfile.open(archive) as tar:
        top = tar.getnames()[0].split("/")[0]
        tar.extractall(work)
    return work / top


def build(release: Release, source: pathlib.Path) -> pathlib.Path:
    """Builds the shared library in the source tree; returns the real file."""
    jobs = str(os.cpu_count() or 2)
    if release.build == "cmake":
        tree = source / "build"
        subprocess.run(["cmake", "-S", source, "-B", tree, "-DCMAKE_BUILD_TYPE=Release",
                        *release.configure_args], check=True)
        subprocess.run(["cmake", "--build", tree, "-j", jobs], check=True)
    else:
        tree = source
        subprocess.run(["./configure", *release.configure_args], cwd=tree, check=True)
        subprocess.run(["make", "-j", jobs], cwd=tree, check=True)
    return (tree / release.library).resolve(strict=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="", help=f"'all' or a comma-separated subset of: {', '.join(RELEASES)}")
    parser.add_argument("--prefix", type=pathlib.Path, default=pathlib.Path("/opt/allocators"))
    args = parser.parse_args()
    names = list(RELEASES) if args.only == "all" else [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in RELEASES]
    if unknown:
        parser.error(f"unknown {', '.join(unknown)} (known: {', '.join(RELEASES)})")
    args.prefix.mkdir(parents=True, exist_ok=True)
    lines = []
    for name in names:
        with tempfile.TemporaryDirectory() as work:
            library = build(RELEASES[name], fetch(RELEASES[name], pathlib.Path(work)))
            (args.prefix / name).mkdir(exist_ok=True)
            installed = args.prefix / name / library.name
            shutil.copy2(library, installed)
        lines.append(f"{name}={installed}\n")
        print(f"build_upstream_allocators: {name} -> {installed}")
    (args.prefix / "allocators.txt").write_text("".join(lines))


if __name__ == "__main__":
    main()
