"""``uptrade dashboard`` served for real and driven through every page in headless Chromium.

Debian's ``chromium`` and ``chromium-driver`` (``scripts/test.sh`` installs them; nothing is
downloaded: Selenium is given both paths). The dashboard runs as its own process on a free
loopback port against a store of a year of real 1h candles; each page must draw its charts with
no error element, and its screenshot is saved under the test's temporary directory. How long
each page takes to become interactive is measured and printed, never asserted: the host is
shared and its speed is not the dashboard's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.dashboard_support import build_store

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
#: Liveness guards only (seconds): a page or the server that never answers fails instead of hanging.
START_GUARD = 180
PAGE_GUARD = 240
#: Each page's path (home is the root) and the number of charts it must draw at least.
PAGES = {"": 1, "bots": 0, "signals": 0, "cycles": 0, "backtest": 0, "astro": 0}

pytestmark = pytest.mark.browser


def _require_browser() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{', '.join(missing)} missing: CI drives the dashboard in a browser (scripts/test.sh installs it)"
            )
        pytest.skip(f"{', '.join(missing)} missing (apt-get install chromium chromium-driver; scripts/test.sh does it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``uptrade dashboard`` on a free port, as a user starts it; yields its base URL."""
    _require_browser()
    url = build_store(tmp_path_factory.mktemp("dash") / "store.db")
    port = _free_port()
    log = tmp_path_factory.mktemp("dashlog") / "dashboard.log"
    env = {**os.environ, "UPTRADE_HBAPI_URL": ""}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uptrade.cli", "--db", url, "dashboard", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_GUARD
        while True:
            try:
                if httpx.get(f"{base}/_stcore/health", timeout=5).text == "ok":
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium through Debian's chromedriver (Selenium Manager never runs)."""
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1500,1400",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_GUARD)
    try:
        yield driver
    finally:
        driver.quit()


RENDERED = """
const app = document.querySelector('[data-testid="stApp"]');
if (!app) return null;
const running = document.querySelector('[data-testid="stStatusWidget"]');
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


def _settled(driver: object, charts: int) -> dict[str, object]:
    """Poll the page until the script has finished and every chart is drawn (or the guard ends)."""
    deadline = time.monotonic() + PAGE_GUARD
    state: dict[str, object] | None = None
    while time.monotonic() < deadline:
        state = driver.execute_script(RENDERED)  # type: ignore[attr-defined]
        idle = bool(state) and not state["running"] and not state["skeleton"] and state["title"]
        drawn = bool(state) and int(state["charts"]) >= charts and int(state["drawn"]) >= int(state["charts"])
        if idle and (state["errors"] or drawn):
            return state
        time.sleep(0.1)
    pytest.fail(f"the page did not settle within {PAGE_GUARD} s: {state}")


def test_every_page_renders_in_chromium(server: str, browser: object, tmp_path: Path) -> None:
    timings = {}
    for path, charts in PAGES.items():
        page = path or "home"
        started = time.monotonic()
        browser.get(f"{server}/{path}")  # type: ignore[attr-defined]
        state = _settled(browser, charts)
        timings[page] = time.monotonic() - started
        assert state["errors"] == [], f"{page}: {state['errors']}"
        assert int(state["charts"]) >= charts, f"{page}: {state}"
        assert int(state["drawn"]) >= int(state["charts"]), f"{page}: charts not drawn: {state}"
        shot = tmp_path / f"{page}.png"
        assert browser.save_screenshot(str(shot)), page  # type: ignore[attr-defined]
        assert shot.stat().st_size > 10_000, f"{page}: blank screenshot"
    print(
        "\ntime to interactive (s, a year of 1h candles, this host): "
        + ", ".join(f"{k} {v:.2f}" for k, v in timings.items())
    )
    print(f"screenshots: {tmp_path}")
