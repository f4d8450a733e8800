"""plot_profile.py on a real recording: the charts and profile.html from the
profile's JSON and from the trace itself, `make report TRACE=`, and bad
input (one line on stderr, exit status 2)."""
import base64
import html
import json
import re
import subprocess

import pytest

from conftest import ALLOCMARK, PYTHON, ROOT, SCRIPTS

CHARTS = ("profile_live_bytes", "profile_entry_points", "profile_sizes",
          "profile_lifetimes", "profile_threads")
ENV = {"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}


def plot_profile(*args):
    return subprocess.run([PYTHON, str(SCRIPTS / "plot_profile.py"),
                           *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=300)


def check_page(out_dir, profile):
    """The charts and the page that plot_profile.py wrote for ``profile``."""
    for kind in CHARTS:
        png = (out_dir / "charts" / f"{kind}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10000
        assert (out_dir / "charts" / f"{kind}.svg").read_text().rstrip() \
            .endswith("</svg>")
    page = (out_dir / "profile.html").read_text(encoding="utf-8")
    # The command line is shown, escaped: its markup never reaches the page.
    assert "<b>" not in page
    assert "&lt;b&gt;&amp;amp;&lt;/b&gt;" in page
    assert profile["command"][0] in page
    assert f"({profile['live_bytes']['peak_bytes']} bytes)" in page
    assert profile["reading"]
    for line in profile["reading"]:
        assert f"<p>{html.escape(line)}</p>" in page
    for entry in profile["entry_points"]:
        assert f">{html.escape(entry['name'])}</td>" in page
        assert f">{entry['calls']:,}</td>" in page
    cross = profile["cross_thread"]["cross_thread_frees"]
    assert cross > 0 and f"{cross:,} of" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == len(CHARTS)
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)


def test_the_profile_json_gives_the_charts_and_the_page(recording, tmp_path):
    out = tmp_path / "out"
    proc = plot_profile(recording.profile_json, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(out / "profile.html")
    check_page(out, recording.profile)


def test_a_trace_is_profiled_into_trace_report(recording, tmp_path):
    trace = tmp_path / "program.trace"
    trace.write_bytes(recording.trace.read_bytes())
    proc = plot_profile(trace, "--allocmark", ALLOCMARK)
    assert proc.returncode == 0, proc.stderr
    check_page(tmp_path / "program.trace.report", recording.profile)


def test_make_report_with_a_trace_renders_its_profile(recording, tmp_path):
    trace = tmp_path / "program.trace"
    trace.write_bytes(recording.trace.read_bytes())
    proc = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT),
                           "report", f"TRACE={trace}",
                           f"BUILD={ALLOCMARK.parent}"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    check_page(tmp_path / "program.trace.report", recording.profile)


def test_make_report_without_a_trace_renders_the_run():
    proc = subprocess.run(["make", "-n", "--no-print-directory", "-C",
                           str(ROOT), "report", "RUN=some/run"],
                          capture_output=True, text=True, check=True)
    assert "scripts/render_report.py some/run" in proc.stdout
    assert "plot_profile.py" not in proc.stdout


def expect_one_line(proc, path, *words):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"plot_profile.py: {path}: ")
    for word in words:
        assert word in lines[0]


@pytest.mark.parametrize("content, words", [
    ('{"command": ["x"], "calls": 3', ("nor a trace",)),
    ('{"command": ["x"], "allocator": "glibc"}', ("complete is missing",)),
    ("[1, 2]", ("not a JSON object",)),
    ("", ("nor a trace",)),
])
def test_a_malformed_profile_is_one_line_and_exit_2(tmp_path, content,
                                                     words):
    bad = tmp_path / "profile.json"
    bad.write_text(content)
    proc = plot_profile(bad)
    expect_one_line(proc, bad, *words)
    assert not (tmp_path / "profile.json.report").exists()


def test_a_profile_with_a_wrong_field_is_refused(recording, tmp_path):
    profile = json.loads(recording.profile_json.read_text())
    profile["live_bytes"]["series"][0][0] = "soon"
    bad = tmp_path / "profile.json"
    bad.write_text(json.dumps(profile))
    expect_one_line(plot_profile(bad), bad, "live_bytes.series", "soon")


def test_a_missing_file_is_one_line_and_exit_2(tmp_path):
    expect_one_line(plot_profile(tmp_path / "absent.json"),
                    tmp_path / "absent.json", "No such file")


def test_a_trace_that_allocmark_refuses_is_one_line_and_exit_2(recording,
                                                               tmp_path):
    torn = tmp_path / "torn.trace"
    torn.write_bytes(recording.trace.read_bytes()[:100])
    proc = plot_profile(torn, "--allocmark", ALLOCMARK)
    expect_one_line(proc, torn, "allocmark profile refused it", "truncated")


def test_a_trace_without_an_allocmark_binary_is_one_line_and_exit_2(
        tmp_path):
    trace = tmp_path / "program.trace"
    trace.write_bytes(b"AMTRACE\0" + bytes(32))
    proc = plot_profile(trace, "--allocmark", tmp_path / "no-allocmark")
    expect_one_line(proc, trace, "--allocmark")
