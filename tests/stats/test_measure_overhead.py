"""measure_overhead.py's answers to arguments it cannot measure with: an
argparse error (exit status 2) before any child runs."""
import subprocess

import pytest

from conftest import PYTHON, SCRIPTS


def measure_overhead(*args):
    return subprocess.run([PYTHON, str(SCRIPTS / "measure_overhead.py"), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, message", [
    (["--reps", "1"], "argument --reps: must be at least 2, got 1"),
    (["--reps", "0"], "argument --reps: must be at least 2, got 0"),
    (["--reps", "two"], "argument --reps: must be at least 2, got 'two'"),
    (["--threads", "0"], "argument --threads: must be at least 1, got 0"),
    (["--every", "0"], "argument --every: must be at least 1, got 0"),
])
def test_arguments_it_cannot_measure_with_are_refused(tmp_path, args, message):
    # A build directory without allocmark-child: the refusal comes first.
    proc = measure_overhead("latency", "--build", str(tmp_path), *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(message)
    assert not proc.stdout


def test_a_build_without_the_child_is_a_usage_error(tmp_path):
    proc = measure_overhead("sampler", "--build", str(tmp_path), "--reps", "2")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(
        f"error: no {tmp_path / 'allocmark-child'} (build first, or --build)")
