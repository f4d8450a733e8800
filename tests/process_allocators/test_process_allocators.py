"""Every allocator of the table listed, proven and measured; the builder's errors."""
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import BUILDER, ALLOCMARK, list_json, need_allocmark, read_run, run_allocmark

FOUR = {"glibc", "jemalloc", "tcmalloc", "mimalloc"}
# What each Debian-packaged allocator beyond the four reports as its version.
DEBIAN_VERSIONS = {"tcmalloc-full": r"2\.\d+", "tbbmalloc": r"20\d\d\.\d+",
                   "scudo-14": r"llvm 14\.\d", "scudo-16": r"llvm 16"}


def test_list_json_has_the_workloads_with_params_and_heaps(listing):
    assert set(listing) == {"workloads", "heaps", "allocators"}
    assert "malloc" in listing["heaps"] and "arena" in listing["heaps"]
    churn = next(w for w in listing["workloads"] if w["name"] == "churn")
    assert set(churn["heaps"]) <= set(listing["heaps"]) and "malloc" in churn["heaps"]
    live = next(p for p in churn["params"] if p["name"] == "live_objects")
    assert 0 < live["smoke"] <= live["quick"] <= live["full"] and live["help"]


def test_list_json_has_every_allocator_with_its_source_and_proof(listing):
    names = [a["name"] for a in listing["allocators"]]
    assert len(names) == len(set(names)) >= 15
    for a in listing["allocators"]:
        assert {"name", "available", "version", "library", "source"} <= set(a), a["name"]
        assert a["source"] in ("debian", "upstream"), a["name"]
        if a["available"]:
            assert a["version"] and a["proven"] == a["name"], a
        else:
            assert a["problem"], a["name"]
    assert {a["name"] for a in listing["allocators"] if a["default"]} == FOUR
    glibc = listing["allocators"][0]
    assert glibc["name"] == "glibc" and glibc["available"] and "libc.so" in glibc["library"]


@pytest.mark.parametrize("name", sorted(DEBIAN_VERSIONS))
def test_debian_allocator_is_proven_with_its_version(allocators, name):
    entry = allocators[name]
    if not pathlib.Path(entry["library"]).exists():
        pytest.skip(f"{entry['library']} is not installed: {entry['install']}")
    assert entry["available"], entry.get("problem")
    assert re.match(DEBIAN_VERSIONS[name], entry["version"]), entry["version"]


def test_user_library_is_listed_as_user(allocators):
    jemalloc = allocators["jemalloc"]
    if not jemalloc["available"]:
        pytest.skip("jemalloc is not installed")
    data = list_json("--allocator", f"mine={jemalloc['library']}")
    mine = next(a for a in data["allocators"] if a["name"] == "mine")
    assert mine["source"] == "user" and mine["available"] and mine["proven"] == "jemalloc"


def upstream_built(allocators):
    """The upstream entries, after skipping when none is built."""
    upstream = [a for a in allocators.values() if a["source"] == "upstream"]
    if not any(pathlib.Path(a["library"]).exists() for a in upstream):
        where = pathlib.Path(upstream[0]["library"]).parent.parent
        pytest.skip(f"no upstream allocator built under {where}: `make allocators` "
                    "builds them (from the upstream URLs, or with ALLOCMARK_GIT_MIRROR=DIR from a "
                    "mirror)")
    return upstream


def test_every_upstream_allocator_is_proven_at_its_tag(allocators):
    for a in upstream_built(allocators):
        assert a["available"], f"{a['name']}: {a.get('problem')} (see {pathlib.Path(a['library']).parent / 'build.log'})"
        tag = re.sub(r"^(v|gperftools-)", "", a["upstream"]["tag"])
        assert tag in a["version"], (a["name"], a["version"])
        record = json.loads((pathlib.Path(a["library"]).parent / "build.json").read_text())
        assert record["commit"] == a["upstream"]["commit"]


def test_a_smoke_run_of_all_proves_every_available_allocator(allocators, listing, tmp_path):
    upstream_built(allocators)
    available = {name for name, a in allocators.items() if a["available"]}
    out = tmp_path / "results"
    proc = run_allocmark("run", "--profile", "smoke", "--allocators", "all", "--threads", "1",
                         "--out", out, timeout=1500)
    run, cells = read_run(out / "latest")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert {a["name"]: a["proven"] for a in run["allocators"]} == {n: n for n in available}
    # Every workload on malloc runs under every allocator. An in-process heap
    # takes its chunks from the allocator through C++'s aligned operator new,
    # which a library may get wrong (rpmalloc 2.0.1's crashes): such a cell
    # fails with its reason, and the exit status says so.
    assert [c["cell_id"] for c in cells if c["status"] != "ok" and c["heap"] == "malloc"] == []
    assert all(c.get("error") for c in cells if c["status"] != "ok")
    assert proc.returncode == (1 if any(c["status"] != "ok" for c in cells) else 0)
    for workload in listing["workloads"]:
        if "malloc" not in workload["heaps"] or not workload["name"] in {c["workload"] for c in cells}:
            continue
        seen = {c["allocator"] for c in cells if c["workload"] == workload["name"] and c["heap"] == "malloc"}
        assert seen == available, workload["name"]


def test_an_allocator_not_built_is_refused_naming_the_command(tmp_path):
    need_allocmark()
    proc = run_allocmark("run", "--profile", "smoke", "--workloads", "^churn$", "--allocators",
                         "snmalloc", "--out", tmp_path, env={"ALLOCMARK_ALLOCATORS_DIR": str(tmp_path)})
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert "snmalloc" in line and "not built" in line and "make allocators" in line


def run_builder(tmp_path, mirror, *args):
    need_allocmark()
    env = dict(os.environ, ALLOCMARK_GIT_MIRROR=str(mirror),
               ALLOCMARK_ALLOCATORS_DIR=str(tmp_path / "allocators"))
    return subprocess.run([sys.executable, BUILDER, "--allocmark", ALLOCMARK, "-j", "1", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def rpmalloc_row():
    return next(a for a in list_json()["allocators"] if a["name"] == "rpmalloc")


def test_the_builder_names_the_repository_a_mirror_lacks(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    proc = run_builder(tmp_path, mirror, "--only", "rpmalloc")
    assert proc.returncode == 1
    [line] = [l for l in proc.stderr.splitlines() if l.startswith("build_allocators: rpmalloc:")]
    assert "has no rpmalloc.git" in line and rpmalloc_row()["upstream"]["commit"] in line


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=allocmark", "-c", "user.email=allocmark@localhost",
                    *args], cwd=cwd, check=True, capture_output=True)


def test_the_builder_refuses_a_tag_at_another_commit(tmp_path):
    pinned = rpmalloc_row()["upstream"]
    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", cwd=work)
    (work / "README").write_text("not rpmalloc\n")
    git("add", "README", cwd=work)
    git("commit", "-q", "-m", "impostor", cwd=work)
    git("tag", pinned["tag"], cwd=work)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    git("clone", "-q", "--bare", str(work), str(mirror / "rpmalloc.git"), cwd=tmp_path)
    proc = run_builder(tmp_path, mirror, "--only", "rpmalloc")
    assert proc.returncode == 1
    assert f"tag {pinned['tag']} is commit" in proc.stderr and f"not the pinned {pinned['commit']}" in proc.stderr
    assert not (tmp_path / "allocators" / "rpmalloc" / "librpmalloc.so").exists()


def test_the_builder_skips_what_is_built_at_the_pinned_commit(tmp_path):
    spec = importlib.util.spec_from_file_location("build_allocators", BUILDER)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    row = rpmalloc_row()
    dest = tmp_path / "allocators" / "rpmalloc"
    dest.mkdir(parents=True)
    (dest / "librpmalloc.so").write_text("stands in for the library")
    (dest / "build.json").write_text(json.dumps({"commit": row["upstream"]["commit"],
                                                 "cflags": builder.CFLAGS,
                                                 "recipe": row["upstream"]["recipe"]}))
    empty_mirror = tmp_path / "mirror"
    empty_mirror.mkdir()
    proc = run_builder(tmp_path, empty_mirror, "--only", "rpmalloc")
    assert proc.returncode == 0, proc.stderr
    assert "rpmalloc: up to date" in proc.stdout
    # Another commit in the record is a rebuild, which this mirror cannot serve.
    (dest / "build.json").write_text(json.dumps({"commit": "0" * 40, "cflags": builder.CFLAGS,
                                                 "recipe": row["upstream"]["recipe"]}))
    assert run_builder(tmp_path, empty_mirror, "--only", "rpmalloc").returncode == 1


def test_the_builder_refuses_an_unknown_name(tmp_path):
    proc = run_builder(tmp_path, tmp_path, "--only", "hoard")
    assert proc.returncode == 2 and "unknown upstream allocator hoard" in proc.stderr
