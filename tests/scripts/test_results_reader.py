"""allocmark_results.py, the one reader of run directories, on fields of the
wrong type: a run.json or cells.jsonl field the scripts read is checked for its
kind, and a script says which file and field in one line (exit status 2)
instead of a traceback; values that are only shown are shown as they are."""
import json
import subprocess

import pytest

from conftest import PYTHON, SCRIPTS

import allocmark_results as results


def edit_run_json(run_dir, edit):
    path = run_dir / "run.json"
    info = json.loads(path.read_text())
    edit(info)
    path.write_text(json.dumps(info))


def set_field(*keys_and_value):
    """An edit of run.json that sets info[k1][k2]... to the value."""
    *keys, value = keys_and_value

    def edit(info):
        for key in keys[:-1]:
            info = info[key]
        info[keys[-1]] = value
    return edit


def edit_first_ok_row(run_dir, edit):
    """Edits the first ok row of cells.jsonl; returns its line number."""
    path = run_dir / "cells.jsonl"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if json.loads(line)["status"] == "ok")
    row = json.loads(lines[index])
    edit(row)
    lines[index] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    return index + 1


def script(name, run_dir, *args):
    return subprocess.run([PYTHON, str(SCRIPTS / f"{name}.py"), str(run_dir), *args],
                          capture_output=True, text=True, timeout=120,
                          env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})


def one_line_exit_2(proc, *needles):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


# (the edit of run.json, what the one line says)
BAD_RUN_FIELDS = [
    (set_field("matrix", 5), "'matrix' is 5, not an object"),
    (set_field("matrix", [1]), "'matrix' is [1], not an object"),
    (set_field("allocators", "x"), "'allocators' is 'x', not a list"),
    (set_field("allocators", 5), "'allocators' is 5, not a list"),
    (set_field("allocators", [5]), "'allocators[0]' is 5, not an object"),
    (set_field("allocators", [{"name": 5}]), "'allocators[0].name' is 5, not a string"),
    (set_field("workloads", ["churn"]), "'workloads' is ['churn'], not an object"),
    (set_field("workloads", "churn", 1), "'workloads.churn' is 1, not an object"),
    (set_field("workloads", "churn", "ops_unit", 5), "'workloads.churn.ops_unit' is 5, not a string"),
    (set_field("environment", [1]), "'environment' is [1], not an object"),
    (set_field("warnings", 5), "'warnings' is 5, not a list of strings"),
    (set_field("warnings", ["ok", 7]), "'warnings[1]' is 7, not a string"),
    (set_field("run_id", 5), "'run_id' is 5, not a string"),
    (set_field("status", ["complete"]), "'status' is ['complete'], not a string"),
    (set_field("cells_planned", "x"), "'cells_planned' is 'x', not a count"),
    (set_field("cells_recorded", -1), "'cells_recorded' is -1, not a count"),
    (set_field("shard", "1/2"), "'shard' is '1/2', not {\"index\": I, \"count\": N} with 1 <= I <= N"),
    (set_field("shard", {"index": 3, "count": 2}),
     "'shard' is {'index': 3, 'count': 2}, not {\"index\": I, \"count\": N} with 1 <= I <= N"),
]


@pytest.mark.parametrize("edit, message", BAD_RUN_FIELDS, ids=[m.split("'")[1] for _, m in BAD_RUN_FIELDS])
def test_a_run_json_field_of_the_wrong_type_is_refused(smoke_run, edit, message):
    edit_run_json(smoke_run, edit)
    with pytest.raises(results.ResultError) as error:
        results.load_run(smoke_run)
    assert str(error.value) == f"{smoke_run / 'run.json'}: {message}"


# (the edit of a row, what the one line says after "cells.jsonl:<line>: ")
BAD_CELL_FIELDS = [
    (lambda row: row["params"].update(sizes=[1, 2]), "'params.sizes' is [1, 2], not an integer"),
    (lambda row: row["params"].update(sizes={"a": 1}), "'params.sizes' is {'a': 1}, not an integer"),
    (lambda row: row["params"].update(ops="many"), "'params.ops' is 'many', not an integer"),
    (lambda row: row["params"].update(skewed=True), "'params.skewed' is True, not an integer"),
    (lambda row: row.update(seed=[1]), "'seed' is [1], not an integer"),
    (lambda row: row.update(request_checksum=["cd68"]), "'request_checksum' is ['cd68'], not a string"),
    (lambda row: row.update(allocator_proven=5), "'allocator_proven' is 5, not a string"),
    (lambda row: row.update(timeseries=5), "'timeseries' is 5, not a string"),
]


@pytest.mark.parametrize("edit, message", BAD_CELL_FIELDS, ids=[m.split("'")[1] for _, m in BAD_CELL_FIELDS])
def test_a_cells_field_of_the_wrong_type_is_refused(smoke_run, edit, message):
    line = edit_first_ok_row(smoke_run, edit)
    with pytest.raises(results.ResultError) as error:
        results.load_run(smoke_run)
    assert str(error.value) == f"{smoke_run / 'cells.jsonl'}:{line}: {message}"


def test_a_long_value_is_cut_short_in_the_message(smoke_run):
    edit_run_json(smoke_run, set_field("matrix", list(range(1000))))
    with pytest.raises(results.ResultError) as error:
        results.load_run(smoke_run)
    assert len(str(error.value)) < len(str(smoke_run)) + 120, str(error.value)
    assert str(error.value).endswith("..., not an object")


@pytest.mark.parametrize("name", ["compare_runs", "render_report"])
@pytest.mark.parametrize("edit_run, edit_row, needles", [
    pytest.param(set_field("matrix", 5), None, ("run.json: 'matrix' is 5",), id="matrix"),
    pytest.param(set_field("allocators", "x"), None, ("run.json: 'allocators' is 'x'",), id="allocators"),
    pytest.param(set_field("workloads", ["churn"]), None, ("run.json: 'workloads'",), id="workloads"),
    pytest.param(None, lambda row: row["params"].update(sizes=[1, 2]),
                 ("cells.jsonl:1: 'params.sizes' is [1, 2]",), id="params"),
])
def test_scripts_say_which_file_and_field_and_exit_2(smoke_run, name, edit_run, edit_row, needles):
    if edit_run:
        edit_run_json(smoke_run, edit_run)
    if edit_row:
        edit_first_ok_row(smoke_run, edit_row)
    one_line_exit_2(script(name, smoke_run), *needles)


def test_informational_values_of_another_type_are_shown_as_they_are(smoke_run):
    edit_run_json(smoke_run, set_field("environment", "cores", "two"))
    edit_run_json(smoke_run, set_field("environment", "load_average", "high"))
    run = results.load_run(smoke_run)
    assert run.environment["cores"] == "two"
    proc = script("compare_runs", smoke_run)
    assert proc.returncode == 0, proc.stderr
    assert "against glibc" in proc.stdout


def test_null_optional_fields_count_as_absent(smoke_run):
    edit_run_json(smoke_run, set_field("finished_at", None))
    edit_run_json(smoke_run, set_field("warnings", None))
    edit_first_ok_row(smoke_run, lambda row: row.update(seed=None, request_checksum=None))
    run = results.load_run(smoke_run)
    assert run.warnings == [] and run.cells
