"""report.html in headless Chromium: a screenshot, and the page's script runs
without console errors (it sets data-report-ready on <body> when done)."""
import os
import shutil
import subprocess

from conftest import PYTHON, SCRIPTS

CHROMIUM = "/usr/bin/chromium"


def ensure_chromium():
    if not os.path.exists(CHROMIUM):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=True,
                       env=env, capture_output=True)
    return CHROMIUM


def chromium(report, tmp_path, *args):
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [ensure_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--enable-logging=stderr", "--v=0", *args, report.as_uri()],
        capture_output=True, text=True, timeout=180)


def test_report_in_headless_chromium(failed_run, tmp_path):
    subprocess.run([PYTHON, str(SCRIPTS / "render_report.py"),
                    str(failed_run)], check=True, capture_output=True)
    report = failed_run / "report.html"
    shot = tmp_path / "report.png"
    proc = chromium(report, tmp_path, f"--screenshot={shot}",
                    "--window-size=1400,2000")
    assert shot.exists() and shot.stat().st_size > 0, proc.stderr
    assert shot.read_bytes().startswith(b"\x89PNG")
    keep = os.environ.get("ALLOCMARK_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    dom = chromium(report, tmp_path, "--dump-dom")
    assert 'data-report-ready="yes"' in dom.stdout
    for stderr in (proc.stderr, dom.stderr):
        errors = [line for line in stderr.splitlines()
                  if "Uncaught" in line or ("CONSOLE" in line and
                                            "ERROR" in line.upper())]
        assert not errors, errors
