"""``uptrade dashboard`` served for real and driven through every page in headless Chromium.

The dashboard runs as its own process on a free loopback port against a store of a year of real
1h candles (``tests/dashboard_browser.py`` starts it and drives Debian's Chromium). Each page
must draw its charts with no error element or dialog, and its screenshot is saved under the
test's temporary directory. How long each page takes to become interactive is measured and
printed, never asserted: the host is shared and its speed is not the dashboard's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard_browser import chromium, missing_browser, open_page, serve
from tests.dashboard_support import build_store

#: Each page's path (home is the root) and the number of charts it must draw at least.
PAGES = {"": 1, "bots": 0, "signals": 1, "cycles": 3, "backtest": 0, "astro": 3}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``uptrade dashboard`` on a free port, as a user starts it; yields its base URL."""
    missing = missing_browser()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{', '.join(missing)} missing: CI drives the dashboard in a browser (scripts/test.sh installs it)"
            )
        pytest.skip(f"{', '.join(missing)} missing (apt-get install chromium chromium-driver; scripts/test.sh does it)")
    url = build_store(tmp_path_factory.mktemp("dash") / "store.db")
    log = tmp_path_factory.mktemp("dashlog") / "dashboard.log"
    with serve(url, log, env={"UPTRADE_HBAPI_URL": ""}) as base:
        yield base
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def test_every_page_renders_in_chromium(server: str, browser: Any, tmp_path: Path) -> None:
    open_page(browser, server, "", 1)  # the first load fetches the app's scripts: not a page's time
    timings = {}
    for path, charts in PAGES.items():
        page = path or "home"
        state, seconds = open_page(browser, server, path, charts)
        timings[page] = seconds
        assert state["errors"] == [], f"{page}: {state['errors']}"
        assert int(state["charts"]) >= charts, f"{page}: {state}"
        assert int(state["drawn"]) >= int(state["charts"]), f"{page}: charts not drawn: {state}"
        shot = tmp_path / f"{page}.png"
        assert browser.save_screenshot(str(shot)), page
        assert shot.stat().st_size > 10_000, f"{page}: blank screenshot"
    print("\nseconds until interactive (a year of 1h candles; this host, not asserted): ", end="")
    print(", ".join(f"{k} {v:.2f}" for k, v in timings.items()))
    print(f"screenshots: {tmp_path}")
