"""``uptrade dashboard`` served as its own process, and Debian's Chromium driven through Selenium.

Shared by the browser test, ``benchmarks/bench_dashboard.py`` and
``scripts/dashboard_screenshot.py``. Nothing is downloaded: Selenium is given Debian's
``chromium`` and ``chromedriver`` paths, so Selenium Manager never runs. The waits here are
liveness guards (a page that never settles fails instead of hanging), never speed checks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Seconds the server may take to answer its health route, and a page to settle (guards only).
START_GUARD = 180
PAGE_GUARD = 240

#: What the page shows now: still running (Streamlit's own script state on the app's root, or its
#: status widget), charts present and drawn, error elements and dialogs.
PAGE_STATE = """
const app = document.querySelector('[data-testid="stApp"]');
if (!app) return null;
const running = app.getAttribute('data-test-script-state') !== 'notRunning'
  || !!document.querySelector('[data-testid="stStatusWidget"]');
const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
const drawn = document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg');
const errors = [...document.querySelectorAll('[data-testid="stException"], [data-testid="stAlertContentError"]')]
  .map(e => e.innerText);
const dialog = document.querySelector('[role="dialog"]');
if (dialog) errors.push('dialog: ' + dialog.innerText);
const skeleton = document.querySelectorAll('[data-testid="stSkeleton"]').length;
return {running: !!running, charts: charts.length, drawn: drawn.length, errors: errors, skeleton: skeleton,
        title: (document.querySelector('h1') || {}).innerText || ''};
"""


def missing_browser() -> list[str]:
    """The browser files that are not installed (empty when both are)."""
    return [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server_process(
    args: list[str],
    probe: str,
    log: Path,
    env: dict[str, str] | None = None,
    ready: str | None = "ok",
    inherit: bool = True,
) -> Iterator[subprocess.Popen[bytes]]:
    """``python ARGS`` with its output in ``log``, once ``probe`` answers (with the text ``ready``, or
    anything when None), until the block ends; then terminated. ``env`` is added to this process's
    environment, or is the whole of it when ``inherit`` is False.

    Raises :class:`RuntimeError` with the end of the log when the process exits or never answers
    within :data:`START_GUARD` s (a liveness guard, not a speed check).
    """
    with open(log, "wb") as out:
        environment = {**(os.environ if inherit else {}), **(env or {})}
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=subprocess.STDOUT, env=environment)
    try:
        deadline = time.monotonic() + START_GUARD
        while True:
            try:
                answer = httpx.get(probe, timeout=5)
                if ready is None or answer.text == ready:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{' '.join(args)} did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def serve(url: str, log: Path, env: dict[str, str] | None = None, script: Path | None = None) -> Iterator[str]:
    """``uptrade --db URL dashboard`` on a free port until the block ends; yields its base URL.

    ``script`` serves that Streamlit script instead, with the dashboard's server options (the
    benchmark's anchor). Raises :class:`RuntimeError` with the server's log when it exits or
    never answers.
    """
    from uptrade.cli.dashboard import SERVER_OPTIONS

    port = free_port()
    if script is None:
        command = ["-m", "uptrade.cli", "--db", url, "dashboard", "--port", str(port)]
    else:
        options = {**SERVER_OPTIONS, "server.address": "127.0.0.1", "server.port": str(port)}
        command = ["-m", "streamlit", "run", str(script), *(f"--{k}={v}" for k, v in options.items())]
        env = {**(env or {}), "UPTRADE_DATABASE_URL": url}
    with server_process(command, f"http://127.0.0.1:{port}/_stcore/health", log, env) as _:
        yield f"http://127.0.0.1:{port}"


@contextmanager
def chromium(width: int = 1500, height: int = 1400) -> Iterator[Any]:
    """Headless Debian Chromium through Debian's chromedriver; yields the Selenium driver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_GUARD)
    try:
        yield driver
    finally:
        driver.quit()


def settle(driver: Any, charts: int) -> dict[str, Any]:
    """Poll until the script has finished and ``charts`` charts are drawn, or an error shows.

    Raises :class:`TimeoutError` with the last state when the page does not settle within the guard.
    """
    deadline = time.monotonic() + PAGE_GUARD
    state: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        state = driver.execute_script(PAGE_STATE)
        idle = bool(state) and not state["running"] and not state["skeleton"] and bool(state["title"])
        drawn = bool(state) and int(state["charts"]) >= charts and int(state["drawn"]) >= int(state["charts"])
        if state and idle and (state["errors"] or drawn):
            return state
        time.sleep(0.05)
    raise TimeoutError(f"the page did not settle within {PAGE_GUARD} s: {state}")


def wait_for_text(driver: Any, text: str) -> None:
    """Poll until the page's main area shows ``text`` (the outcome of a click), then until it settles."""
    deadline = time.monotonic() + PAGE_GUARD
    while time.monotonic() < deadline:
        shown = driver.execute_script(
            "const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.innerText : '';"
        )
        if text in shown:
            settle(driver, 0)
            return
        time.sleep(0.05)
    raise TimeoutError(f"the page did not show {text!r} within {PAGE_GUARD} s")


def open_page(driver: Any, base: str, path: str, charts: int) -> tuple[dict[str, Any], float]:
    """Load ``base/path`` and wait until it settles; returns its state and the seconds it took."""
    started = time.monotonic()
    driver.get(f"{base}/{path}")
    state = settle(driver, charts)
    return state, time.monotonic() - started
