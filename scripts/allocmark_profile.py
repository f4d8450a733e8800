"""Read a trace's profile: what a recorded program asks of an allocator.

The profile is the JSON that ``allocmark profile TRACE --json`` prints
(record/trace_profile.cc writes it). :func:`load_profile` takes that JSON or
a trace itself, which it profiles with the allocmark binary, and checks the
fields that the charts and the page read. Any problem raises
allocmark_results.ResultError, one line naming the file and the problem;
scripts exit with status 2 through allocmark_results.exit_on_error.
"""

import json
import math
import os
import subprocess

from allocmark_results import ResultError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ALLOCMARK = os.path.join(ROOT, "build", "allocmark")
TRACE_MAGIC = b"AMTRACE\0"  # record/trace_format.h: kFileMagic
NOT_A_PROFILE = "not a profile of `allocmark profile --json`"

INT, NUMBER, TEXT, FLAG, LIST, OBJECT = (
    "an integer", "a number", "a string", "true or false", "a list",
    "an object")
# The fields read, by kind; a list's items and an object's fields follow.
FIELDS = {"command": LIST, "allocator": TEXT, "complete": FLAG,
          "calls": INT, "blocks": INT, "threads": INT, "duration_s": NUMBER,
          "entry_points": LIST, "size_classes": LIST, "lifetime_ns": LIST,
          "lifetime_allocations": LIST, "live_bytes": OBJECT,
          "threads_detail": LIST, "cross_thread": OBJECT, "reading": LIST}
ITEMS = {"entry_points": {"name": TEXT, "calls": INT, "bytes": INT,
                          "failed": INT},
         "size_classes": {"max_bytes": INT, "allocations": INT,
                          "bytes": INT},
         "lifetime_ns": {"blocks": INT},
         "lifetime_allocations": {"blocks": INT},
         "threads_detail": {"thread": INT, "allocations": INT, "frees": INT,
                            "bytes": INT}}
OBJECTS = {"live_bytes": {"peak_bytes": INT, "peak_time_s": NUMBER,
                          "at_end_bytes": INT, "series": LIST},
           "cross_thread": {"frees": INT, "cross_thread_frees": INT,
                            "share": NUMBER}}


def _is(value, kind):
    if kind == INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return (isinstance(value, (int, float))
                and not isinstance(value, bool) and math.isfinite(value))
    return isinstance(value, {TEXT: str, FLAG: bool, LIST: list,
                              OBJECT: dict}[kind])


def _check_fields(where, obj, fields, prefix=""):
    for name, kind in fields.items():
        if not _is(obj.get(name), kind):
            shown = "missing" if name not in obj else \
                f"{json.dumps(obj[name])[:40]}, not {kind}"
            raise ResultError(where, f"{NOT_A_PROFILE}: {prefix}{name} is "
                              f"{shown}")


def check_profile(where, profile):
    """``profile``, a parsed profile, checked: the fields of FIELDS, ITEMS
    and OBJECTS with their kinds, and the live-bytes series as [seconds,
    bytes] pairs. Raises ResultError naming ``where``."""
    if not isinstance(profile, dict):
        raise ResultError(where, f"{NOT_A_PROFILE}: not a JSON object")
    _check_fields(where, profile, FIELDS)
    for name, fields in ITEMS.items():
        for i, item in enumerate(profile[name]):
            if not isinstance(item, dict):
                raise ResultError(where, f"{NOT_A_PROFILE}: {name}[{i}] is "
                                  "not an object")
            _check_fields(where, item, fields, f"{name}[{i}].")
    for name in ("lifetime_ns", "lifetime_allocations"):
        if any(b.get("below") is not None and not _is(b.get("below"), INT)
               for b in profile[name]):
            raise ResultError(where, f"{NOT_A_PROFILE}: a bucket of {name} "
                              "has a 'below' that is neither an integer nor "
                              "null")
    for name, fields in OBJECTS.items():
        _check_fields(where, profile[name], fields, f"{name}.")
    for point in profile["live_bytes"]["series"]:
        if not (isinstance(point, list) and len(point) == 2
                and _is(point[0], NUMBER) and _is(point[1], INT)):
            raise ResultError(where, f"{NOT_A_PROFILE}: live_bytes.series "
                              f"holds {json.dumps(point)[:40]}, not "
                              "[seconds, bytes]")
    if not all(isinstance(a, str) for a in profile["command"] +
               profile["reading"]):
        raise ResultError(where, f"{NOT_A_PROFILE}: command or reading "
                          "holds something other than strings")
    return profile


def profile_trace(path, allocmark=DEFAULT_ALLOCMARK):
    """The profile of the trace at ``path``, by ``allocmark profile --json``.
    A trace that allocmark refuses raises ResultError with its reason."""
    if not os.access(allocmark, os.X_OK):
        raise ResultError(path, f"a trace, and no allocmark binary at "
                          f"{allocmark} to profile it: build it (make build) "
                          "or pass --allocmark PATH")
    proc = subprocess.run([allocmark, "profile", path, "--json"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [
            f"exit status {proc.returncode}"]
        reason = lines[-1].removeprefix("allocmark: ")
        raise ResultError(path, "allocmark profile refused it: "
                          + reason.removeprefix(f"{path}: "))
    try:
        profile = json.loads(proc.stdout)
    except ValueError as e:
        raise ResultError(path, f"allocmark profile --json printed no JSON: "
                          f"{e}") from None
    return check_profile(path, profile)


def load_profile(path, allocmark=DEFAULT_ALLOCMARK):
    """The profile in ``path``: the JSON of ``allocmark profile --json``, or
    a trace (it begins with AMTRACE), profiled with ``allocmark``. Raises
    ResultError."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ResultError(path, e.strerror or str(e)) from None
    if data.startswith(TRACE_MAGIC):
        return profile_trace(path, allocmark)
    try:
        profile = json.loads(data.decode("utf-8"))
    except ValueError as e:
        raise ResultError(path, "neither a profile of `allocmark profile "
                          f"--json` nor a trace: {e}") from None
    return check_profile(path, profile)

