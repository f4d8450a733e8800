"""report.html and profile.html (plot_profile.py) in headless Chromium: each
loads, its script runs, its tables sort, every embedded chart decodes, a
screenshot is taken, and the page logs no error to the console.

Chromium is driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: JSON messages ending in a NUL byte on fds 3 and 4),
which needs nothing beyond the standard library. Debian's chromium package is
installed with apt-get when it is missing (the test runs as root).
Set ALLOCMARK_KEEP_SCREENSHOT=path to keep the report's screenshot (the
profile page's goes beside it, "-profile" before the extension).
"""
import base64
import fcntl
import json
import os
import pathlib
import select
import shutil
import subprocess
import time

import pytest

from conftest import PYTHON, SCRIPTS

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--remote-debugging-pipe")
TIMEOUT_S = 60


def ensure_chromium():
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends",
               "chromium"]
    if subprocess.run(install, env=env, capture_output=True).returncode:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True)
        proc = subprocess.run(install, env=env, capture_output=True,
                              text=True)
        if proc.returncode:
            pytest.fail("cannot install Debian's chromium: "
                        + proc.stderr.strip().splitlines()[-1:][0])
    return CHROMIUM


class DevTools:
    """A Chromium child and the DevTools protocol over its pipe."""

    def __init__(self, profile):
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def wire_fds():  # in the child: its fd 3 reads, its fd 4 writes
            high_r = fcntl.fcntl(to_child, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [ensure_chromium(), *FLAGS, f"--user-data-dir={profile}",
             "about:blank"], preexec_fn=wire_fds, pass_fds=(3, 4),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        os.close(to_child)
        os.close(from_child)
        self._buffer = b""
        self._next_id = 0
        self.events = []
        self.session = None

    def _receive(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed its pipe: "
                               + self.proc.stderr.read().decode()[-2000:])
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, **params):
        """Send a command (to the page once attached); return its result,
        keeping the events that arrive meanwhile."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method):
        deadline = time.monotonic() + TIMEOUT_S
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._receive(deadline))

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression,
                           returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close")
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._out)
        os.close(self._in)
        self.proc.stderr.close()

    def errors(self):
        """Console errors, uncaught exceptions and error log entries."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description")
                             or details.get("text"))
            elif method == "Runtime.consoleAPICalled" and \
                    params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args")))
            elif method == "Log.entryAdded" and \
                    params["entry"].get("level") == "error":
                found.append(params["entry"].get("text"))
        return found


@pytest.fixture
def browser(tmp_path):
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    devtools = DevTools(profile)
    yield devtools
    devtools.close()


def open_page(browser, page):
    """Load ``page`` in a new tab of 1400 x 2200 CSS pixels; check that its
    script ran and that every embedded chart decodes."""
    target = browser.call("Target.createTarget", url="about:blank")
    browser.session = browser.call("Target.attachToTarget",
                                   targetId=target["targetId"],
                                   flatten=True)["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        browser.call(f"{domain}.enable")
    browser.call("Emulation.setDeviceMetricsOverride", width=1400,
                 height=2200, deviceScaleFactor=1, mobile=False)
    browser.call("Page.navigate", url=page.as_uri())
    browser.wait_for("Page.loadEventFired")

    assert browser.evaluate(
        "document.body.getAttribute('data-report-ready')") == "yes"
    assert browser.evaluate(
        "Array.from(document.images).length > 0 && Array.from("
        "document.images).every(i => i.complete && i.naturalWidth > 0)")


def sort_twice(browser, column):
    """The first table's sort values of ``column`` after one click on its
    heading and after a second."""
    return browser.evaluate(f"""(() => {{
        const table = document.querySelector('table.sortable');
        const th = table.tHead.rows[0].cells[{column}];
        const first = () => Array.from(table.tBodies[0].rows,
                                       r => r.cells[{column}].dataset.sort);
        th.click(); const up = first();
        th.click(); const down = first();
        return [up, down];
    }})()""")


def screenshot(browser, path, keep_suffix=""):
    """A screenshot of the page into ``path``; also to
    $ALLOCMARK_KEEP_SCREENSHOT, with ``keep_suffix`` before its extension."""
    shot = base64.b64decode(browser.call("Page.captureScreenshot",
                                         format="png")["data"])
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 10000
    path.write_bytes(shot)
    keep = os.environ.get("ALLOCMARK_KEEP_SCREENSHOT")
    if keep:
        keep = pathlib.Path(keep)
        shutil.copy(path, keep.with_name(keep.stem + keep_suffix
                                         + keep.suffix))


def test_report_in_headless_chromium(failed_run, browser, tmp_path):
    subprocess.run([PYTHON, str(SCRIPTS / "render_report.py"),
                    str(failed_run)], check=True, capture_output=True,
                   env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    open_page(browser, failed_run / "report.html")
    # Sorting by a numeric column twice flips the order of the rows.
    order = sort_twice(browser, 5)
    assert order[0] and order[0] != order[1]
    screenshot(browser, tmp_path / "report.png")
    assert browser.errors() == []


def test_profile_page_in_headless_chromium(recording, browser, tmp_path):
    out = tmp_path / "profile"
    subprocess.run([PYTHON, str(SCRIPTS / "plot_profile.py"),
                    str(recording.profile_json), "-o", str(out)],
                   check=True, capture_output=True,
                   env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    open_page(browser, out / "profile.html")
    assert browser.evaluate("document.images.length") == 5
    order = sort_twice(browser, 1)  # calls
    assert order[0] and order[0] != order[1]
    screenshot(browser, tmp_path / "profile.png", "-profile")
    assert browser.errors() == []
