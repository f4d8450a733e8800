"""Read an allocmark run directory: the one place that knows the result files.

The contract is results/README.md (schema_version 1): ``run.json``,
``cells.jsonl`` (one cell and repetition per line) and ``timeseries/*.csv``.
Every other script reads runs through :func:`load_run` and gets tidy records:
a :class:`Run` with its :class:`Cell` rows, grouped into :class:`Series`
(one workload, parameter set, thread count, heap and allocator; all its
repetitions).

Any problem with the files raises :class:`ResultError`, whose message names
the file, the line (where there is one) and the problem; scripts turn it into
one line on stderr and exit status 2 with :func:`exit_on_error`.
"""

import csv
import json
import math
import os
import statistics
import sys
from dataclasses import dataclass, field

SCHEMA_VERSION = 1

# Allocators and heaps in the order charts list them; names not here follow,
# in the order the run lists them.
KNOWN_ALLOCATORS = ("glibc", "jemalloc", "tcmalloc", "mimalloc")
KNOWN_HEAPS = ("malloc", "pmr-monotonic", "pmr-pool", "arena", "slab")

# The figures of an ok row, all numbers, all optional (a workload that
# samples no latency has no p50_ns, only rep 0 of a --callgrind or --perf run
# has instructions or a share, and a future harness may add more): the one
# table harness/figures.json, which the harness writes its rows from.
FIGURES_TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             os.pardir, "harness", "figures.json")
FIGURE_KINDS = ("higher_better", "lower_better", "count", "fraction")


@dataclass(frozen=True)
class Figure:
    """One figure of harness/figures.json."""

    name: str
    unit: str
    kind: str  # one of FIGURE_KINDS
    meaning: str  # short enough for a chart's label


def load_figures(path=FIGURES_TABLE):
    """{name: Figure} in the table's order. Raises ResultError when the
    table is not a list of figures with a name, unit, kind and meaning."""
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)["figures"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ResultError(path, f"not the table of figures: {e}") from None
    if not isinstance(entries, list):
        raise ResultError(path, "'figures' is not a list")
    figures = {}
    for i, entry in enumerate(entries):
        try:
            figure = Figure(**{k: str(entry[k]) for k in
                               ("name", "unit", "kind", "meaning")})
        except (KeyError, TypeError):
            raise ResultError(path, f"figure {i} lacks a name, unit, kind or "
                              "meaning") from None
        if figure.kind not in FIGURE_KINDS or figure.name in figures:
            raise ResultError(path, f"figure {i} ({figure.name}) repeats a "
                              f"name or has an unknown kind {figure.kind!r}")
        figures[figure.name] = figure
    return figures


_REQUIRED = (("cell_id", str), ("workload", str), ("threads", int),
             ("heap", str), ("allocator", str), ("rep", int),
             ("status", str))
# Fields of a row that may be absent (or null); the scripts read them as these.
_OPTIONAL = (("error", str), ("timeseries", str), ("log", str),
             ("allocator_proven", str), ("request_checksum", str),
             ("seed", int), ("callgrind_error", str), ("perf_error", str))
# run.json's fields the scripts read, or the harness reads back on --resume
# and merge (it refuses the same kinds); absent or null is allowed. The values
# inside ``environment`` are only shown, so any JSON value is taken as it is.
_RUN_STRINGS = ("run_id", "status", "command_line", "started_at",
                "finished_at")
_RUN_COUNTS = ("cells_planned", "cells_recorded")
_ALLOCATOR_STRINGS = ("name", "library", "proven", "version")
_WORKLOAD_STRINGS = ("summary", "ops_unit")
_KINDS = {str: "a string", int: "an integer", dict: "an object",
          list: "a list"}


class ResultError(Exception):
    """A run directory that does not follow the contract.

    ``str(error)`` is one line: ``<file>:<line>: <problem>`` (no line part
    when the problem is the file as a whole).
    """

    def __init__(self, path, problem, line=None):
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {problem}")


FIGURES = load_figures()
METRICS = tuple(FIGURES)
# Figures that are fractions of the timed region, between 0 and 1.
SHARES = tuple(n for n, f in FIGURES.items() if f.kind == "fraction")
HIGHER_IS_BETTER = tuple(n for n, f in FIGURES.items()
                         if f.kind == "higher_better")
# What each figure means; every chart, table and comparison that shows one
# says this where a name alone would mislead.
MEANINGS = {n: f.meaning for n, f in FIGURES.items()}


def figure_name(name):
    """``name``, checked to be a figure of the table: a script names the
    figures it shows through this, so that a name the harness does not write
    fails on import instead of showing nothing."""
    if name not in FIGURES:
        raise ValueError(f"{name!r} is not a figure of {FIGURES_TABLE}")
    return name


PERCENTILES = tuple((figure_name(name), label) for name, label in (
    ("p50_ns", "p50"), ("p90_ns", "p90"), ("p99_ns", "p99"),
    ("p999_ns", "p99.9"), ("max_ns", "max")))


@dataclass
class Cell:
    """One row of cells.jsonl: a cell and repetition."""

    cell_id: str
    workload: str
    params: dict
    threads: int
    heap: str
    allocator: str
    rep: int
    status: str
    error: str = ""
    metrics: dict = field(default_factory=dict)
    counters: dict = field(default_factory=dict)
    allocator_stats: dict = field(default_factory=dict)
    timeseries: str = ""
    raw: dict = field(default_factory=dict)

    @property
    def ok(self):
        return self.status == "ok"

    def metric(self, name):
        """The number ``name`` of an ok cell, or None when it has none."""
        return self.metrics.get(name)


@dataclass
class Series:
    """Every repetition of one configuration (workload, params, threads, heap,
    allocator). ``variant`` is a short label for the params when a workload ran
    with more than one parameter set in the run, else ""."""

    workload: str
    variant: str
    params: dict
    threads: int
    heap: str
    allocator: str
    cells: list

    @property
    def ok_cells(self):
        return [c for c in self.cells if c.ok]

    @property
    def failed_cells(self):
        return [c for c in self.cells if not c.ok]

    @property
    def failed(self):
        """True when no repetition measured anything."""
        return not self.ok_cells

    @property
    def label(self):
        """How charts and tables name the series: the allocator, plus the heap
        when it is not plain malloc."""
        return series_label(self.heap, self.allocator)

    @property
    def workload_label(self):
        return f"{self.workload} {self.variant}".strip()

    def values(self, metric):
        """The metric over the ok repetitions, missing ones left out."""
        return [c.metrics[metric] for c in self.ok_cells
                if c.metrics.get(metric) is not None]

    def median(self, metric):
        """The median of the metric over the repetitions that have it, or
        None when none has (a share is measured in rep 0 only)."""
        values = list(self.values(metric))
        return statistics.median(values) if values else None


def series_label(heap, allocator):
    return allocator if heap == "malloc" else f"{heap} on {allocator}"


# Every ratio allocmark prints ("vs glibc", speed-ups, compare's ratios) has
# one baseline (docs/methodology.md, "One baseline for every ratio"): the
# series of the baseline allocator on the baseline heap with the same
# workload, params and thread count. harness/summary.cc follows the same rule.
BASELINE_ALLOCATOR = "glibc"
BASELINE_HEAP = "malloc"


def ratio_group(series):
    """The series one baseline serves: same workload, params and threads."""
    return (series.workload, series.variant, series.threads)


def baseline_series(group, allocator=BASELINE_ALLOCATOR, heap=BASELINE_HEAP):
    """The baseline among ``group`` (series of one ratio_group), or None when
    that series is not in the run: then no ratio is shown."""
    return next((s for s in group if s.allocator == allocator and s.heap == heap), None)


@dataclass
class Run:
    """A run directory: run.json's fields and the rows of cells.jsonl."""

    path: str
    info: dict
    cells: list

    @property
    def run_id(self):
        return self.info.get("run_id") or os.path.basename(self.path)

    @property
    def environment(self):
        return self.info.get("environment") or {}

    @property
    def warnings(self):
        return list(self.info.get("warnings") or [])

    @property
    def allocators(self):
        """Allocator names: the run's order first, then any only in cells,
        known ones in their usual order."""
        listed = [a.get("name") for a in self.info.get("allocators") or []
                  if isinstance(a, dict) and a.get("name")]
        seen = listed + [c.allocator for c in self.cells]
        return _ordered(seen, KNOWN_ALLOCATORS if not listed else ())

    @property
    def heaps(self):
        return _ordered([c.heap for c in self.cells], KNOWN_HEAPS)

    @property
    def workloads(self):
        """Workload names in the order of run.json, then of cells.jsonl."""
        listed = list((self.info.get("workloads") or {}).keys())
        return _ordered(listed + [c.workload for c in self.cells], ())

    @property
    def thread_counts(self):
        return sorted({c.threads for c in self.cells})

    def workload_info(self, workload):
        info = (self.info.get("workloads") or {}).get(workload)
        return info if isinstance(info, dict) else {}

    def ops_unit(self, workload):
        return self.workload_info(workload).get("ops_unit") or "ops"

    def series(self):
        """Cells grouped into Series, sorted by workload, variant, threads,
        heap, allocator (each in the run's order)."""
        groups = {}
        variants = {}
        for cell in self.cells:
            pkey = _params_key(cell.params)
            variants.setdefault(cell.workload, [])
            if pkey not in variants[cell.workload]:
                variants[cell.workload].append(pkey)
            key = (cell.workload, pkey, cell.threads, cell.heap,
                   cell.allocator)
            groups.setdefault(key, []).append(cell)
        workload_rank = {w: i for i, w in enumerate(self.workloads)}
        heap_rank = {h: i for i, h in enumerate(self.heaps)}
        alloc_rank = {a: i for i, a in enumerate(self.allocators)}
        result = []
        for (workload, pkey, threads, heap, allocator), cells in \
                groups.items():
            variant = ""
            if len(variants[workload]) > 1:
                variant = ",".join(f"{k}={v}" for k, v in pkey)
            cells.sort(key=lambda c: c.rep)
            result.append(Series(workload, variant, dict(pkey), threads,
                                 heap, allocator, cells))
        result.sort(key=lambda s: (
            workload_rank.get(s.workload, len(workload_rank)),
            variants[s.workload].index(_params_key(s.params)), s.threads,
            heap_rank[s.heap], alloc_rank[s.allocator]))
        return result

    def load_timeseries(self, cell):
        """The cell's samples as a dict of equal-length lists:
        ``t_s``, ``rss_bytes``, ``live_bytes``. Empty lists when the cell has
        no time series (a failed cell, or an older run without one)."""
        empty = {"t_s": [], "rss_bytes": [], "live_bytes": []}
        if not cell.ok or not cell.timeseries:
            return empty
        path = os.path.join(self.path, cell.timeseries)
        if not os.path.isfile(path):
            raise ResultError(path, f"time series of cell {cell.cell_id} "
                              "is missing")
        return read_timeseries(path)


def _ordered(names, preferred):
    """Unique names: those in ``preferred`` first in its order, then the rest
    in order of first appearance."""
    unique = list(dict.fromkeys(names))
    first = [n for n in preferred if n in unique]
    return first + [n for n in unique if n not in first]


def _params_key(params):
    return tuple(sorted(params.items()))


def read_timeseries(path):
    """Parse a timeseries CSV (header t_s,rss_bytes,live_bytes)."""
    columns = ("t_s", "rss_bytes", "live_bytes")
    data = {name: [] for name in columns}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return data
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ResultError(path, "header lacks column(s) "
                              + ", ".join(missing), line=1)
        index = [header.index(c) for c in columns]
        for lineno, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                values = [float(row[i]) for i in index]
            except (ValueError, IndexError):
                raise ResultError(path, f"malformed row {','.join(row)!r}",
                                  line=lineno) from None
            for name, value in zip(columns, values):
                data[name].append(value)
    return data


def load_run(path):
    """Read and validate the run in directory ``path`` (a symlink such as
    results/latest is followed). Raises ResultError on any problem."""
    path = str(path)
    if not os.path.isdir(path):
        what = "is not a directory" if os.path.exists(path) else \
            "no such run directory"
        raise ResultError(path, what)
    info = _load_run_json(os.path.join(path, "run.json"))
    cells = _load_cells(os.path.join(path, "cells.jsonl"))
    return Run(os.path.realpath(path), info, cells)


def _load_run_json(path):
    if not os.path.isfile(path):
        raise ResultError(path, "missing (not an allocmark run directory?)")
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
    except json.JSONDecodeError as e:
        raise ResultError(path, f"invalid JSON: {e.msg}", line=e.lineno) \
            from None
    except (OSError, UnicodeDecodeError) as e:
        raise ResultError(path, f"unreadable: {e}") from None
    if not isinstance(info, dict):
        raise ResultError(path, "top level is not a JSON object", line=1)
    version = info.get("schema_version")
    if version is None:
        raise ResultError(path, "no schema_version")
    if version != SCHEMA_VERSION:
        raise ResultError(path, f"schema_version {version!r} is not one "
                          f"these scripts know (they read "
                          f"{SCHEMA_VERSION}); update allocmark's scripts")
    _check_run_fields(path, info)
    return info


def _check_run_fields(path, info):
    """Raise ResultError naming the first field of run.json ``info`` whose
    kind is not the one results/README.md gives it."""
    for name in _RUN_STRINGS:
        _expect(path, name, info.get(name), str)
    for name in _RUN_COUNTS:
        value = info.get(name)
        if value is not None and not (_is_int(value) and value >= 0):
            raise ResultError(path, f"{name!r} is {_shown(value)}, not a "
                              "count")
    warnings = info.get("warnings")
    if warnings is not None and not isinstance(warnings, list):
        raise ResultError(path, f"'warnings' is {_shown(warnings)}, not a "
                          "list of strings")
    for i, warning in enumerate(warnings or []):
        _expect(path, f"warnings[{i}]", warning, str)
    _expect(path, "matrix", info.get("matrix"), dict)
    _expect(path, "environment", info.get("environment"), dict)
    shard = info.get("shard")
    if shard is not None and not (
            isinstance(shard, dict) and _is_int(shard.get("index"))
            and _is_int(shard.get("count"))
            and 1 <= shard["index"] <= shard["count"]):
        raise ResultError(path, f"'shard' is {_shown(shard)}, not "
                          '{"index": I, "count": N} with 1 <= I <= N')
    allocators = info.get("allocators")
    _expect(path, "allocators", allocators, list)
    for i, allocator in enumerate(allocators or []):
        _expect(path, f"allocators[{i}]", allocator, dict)
        for key in _ALLOCATOR_STRINGS:
            _expect(path, f"allocators[{i}].{key}", allocator.get(key), str)
    workloads = info.get("workloads")
    _expect(path, "workloads", workloads, dict)
    for name, workload in (workloads or {}).items():
        _expect(path, f"workloads.{name}", workload, dict)
        for key in _WORKLOAD_STRINGS:
            _expect(path, f"workloads.{name}.{key}", workload.get(key), str)


def _expect(path, name, value, kind, line=None):
    """Raise ResultError unless ``value`` is None or of ``kind`` (an int is
    never a bool)."""
    if value is None or (_is_int(value) if kind is int
                         else isinstance(value, kind)):
        return
    raise ResultError(path, f"{name!r} is {_shown(value)}, not "
                      f"{_KINDS[kind]}", line=line)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value, limit=40):
    """``repr(value)``, cut to ``limit`` characters for a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _load_cells(path):
    if not os.path.isfile(path):
        raise ResultError(path, "missing (a run writes it from the start)")
    cells = []
    seen = {}
    try:
        with open(path, encoding="utf-8") as f:
            for lineno, text in enumerate(f, start=1):
                if not text.strip():
                    continue
                cell = _parse_cell(path, lineno, text)
                if cell.cell_id in seen:
                    raise ResultError(path, f"cell_id {cell.cell_id!r} "
                                      f"repeats line {seen[cell.cell_id]}",
                                      line=lineno)
                seen[cell.cell_id] = lineno
                cells.append(cell)
    except UnicodeDecodeError as e:
        raise ResultError(path, f"not UTF-8: {e.reason}") from None
    return cells


def _parse_cell(path, lineno, text):
    try:
        row = json.loads(text)
    except json.JSONDecodeError as e:
        raise ResultError(path, f"malformed JSON: {e.msg} at column "
                          f"{e.colno}", line=lineno) from None
    if not isinstance(row, dict):
        raise ResultError(path, "not a JSON object", line=lineno)
    for name, kind in _REQUIRED:
        value = row.get(name)
        if value is None:
            raise ResultError(path, f"no {name!r}", line=lineno)
        if kind is int and isinstance(value, float) and value.is_integer():
            value = int(value)
            row[name] = value
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ResultError(path, f"{name!r} is {value!r}, not "
                              f"{'an integer' if kind is int else 'a string'}",
                              line=lineno)
    status = row["status"]
    if status not in ("ok", "failed"):
        raise ResultError(path, f"status {status!r} is neither 'ok' nor "
                          "'failed'", line=lineno)
    params = row.get("params") or {}
    if not isinstance(params, dict):
        raise ResultError(path, "'params' is not an object", line=lineno)
    for name, value in params.items():
        if not _is_int(value):
            raise ResultError(path, f"'params.{name}' is {_shown(value)}, "
                              "not an integer", line=lineno)
    for name, kind in _OPTIONAL:
        _expect(path, name, row.get(name), kind, line=lineno)
    metrics = {}
    if status == "ok":
        for name in METRICS:
            value = row.get(name)
            if value is None:
                continue
            if not _is_number(value):
                raise ResultError(path, f"{name!r} is {value!r}, not a "
                                  "finite number", line=lineno)
            metrics[name] = float(value)
        if metrics.get("ops_per_s", 1.0) <= 0:
            raise ResultError(path, f"'ops_per_s' is {row['ops_per_s']!r}; "
                              "an ok cell has a positive rate", line=lineno)
        for name in SHARES:
            if not 0 <= metrics.get(name, 0) <= 1:
                raise ResultError(path, f"{name!r} is {row[name]!r}, not a "
                                  "fraction between 0 and 1", line=lineno)
        _read_old_fragmentation(metrics)
    counters = _numbers(row.get("counters"))
    stats = _numbers(row.get("allocator_stats"))
    return Cell(cell_id=row["cell_id"], workload=row["workload"],
                params=params, threads=row["threads"], heap=row["heap"],
                allocator=row["allocator"], rep=row["rep"], status=status,
                error=str(row.get("error") or ""), metrics=metrics,
                counters=counters, allocator_stats=stats,
                timeseries=str(row.get("timeseries") or ""), raw=row)


def _read_old_fragmentation(metrics):
    """Give the figures of a row written before ``process_rss_over_live``
    existed their present names, in place. Such a row's ``fragmentation``
    is the whole process's peak RSS over peak live bytes, what
    ``process_rss_over_live`` is now; the headline is its
    ``frag_max_over_max`` (absent when the series could not define it).
    A present-day row always has ``process_rss_over_live``."""
    if "process_rss_over_live" in metrics or "fragmentation" not in metrics:
        return
    metrics["process_rss_over_live"] = metrics.pop("fragmentation")
    if "frag_max_over_max" in metrics:
        metrics["fragmentation"] = metrics["frag_max_over_max"]


def _is_number(value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _numbers(obj):
    """The finite numeric entries of an object (others are ignored)."""
    if not isinstance(obj, dict):
        return {}
    return {k: float(v) for k, v in obj.items() if _is_number(v)}


def exit_on_error(error, prog=None):
    """Print a ResultError as one line on stderr and exit with status 2."""
    prog = prog or os.path.basename(sys.argv[0]) or "allocmark"
    print(f"{prog}: {error}", file=sys.stderr)
    sys.exit(2)
