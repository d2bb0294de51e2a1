"""``uptrade dashboard`` served for real and driven through every page in headless Chromium.

The dashboard runs as its own process on a free loopback port against a store of a year of real 1h
candles with a paper run, watching a loopback hummingbot-api with one running bot
(``tests/dashboard_browser.py`` starts it and drives Debian's Chromium). Each page must draw its
charts with no error element or dialog, and its screenshot is saved under the test's temporary
directory. On the bots page a user stops the bot: Stop only asks, Yes, stop sends one stop. How
long each page takes to become interactive is measured and printed, never asserted: the host is
shared and its speed is not the dashboard's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from tests.dashboard_browser import chromium, missing_browser, open_page, serve, settle, wait_for_text
from tests.dashboard_support import build_store
from tests.fakes.hbapi import FakeHummingbotApi
from tests.fakes.server import ServerThread
from tests.test_paper import SNIPER, bot_dict
from uptrade.data.store import open_store
from uptrade.execution.bots import BotConfig
from uptrade.execution.hbapi import HummingbotApi
from uptrade.execution.paper import PaperEngine

#: Each page's path (home is the root) and the number of charts it must draw at least.
PAGES = {"": 1, "bots": 1, "signals": 1, "cycles": 3, "backtest": 0, "astro": 3}
PASSWORD = "Br0wser-pw"
CODE = "class Config(DirectionalTradingControllerConfigBase):\n    controller_name: str = 'x'\n"

pytestmark = pytest.mark.browser


@dataclass
class Served:
    base: str
    fake: FakeHummingbotApi
    bot: str


def _paper_run(url: str) -> None:
    """A paper replay of a month of the store's BTC-USDT 1h: a card and a history on the bots page."""
    with open_store(url) as store:
        PaperEngine(BotConfig.model_validate(bot_dict(SNIPER, name="sniper_btc")), store).replay(
            "2026-03-01", "2026-04-01"
        )


def _deploy(api: HummingbotApi, fake: FakeHummingbotApi) -> str:
    """One bot running on the fake hummingbot-api, with a performance snapshot."""
    config = {
        "id": "alpha",
        "controller_name": "x",
        "controller_type": "directional_trading",
        "connector_name": "okx_paper_trade",
        "trading_pair": "BTC-USDT",
        "total_amount_quote": 1000.0,
    }
    api.upload_controller("directional_trading", "x", CODE)
    api.save_controller_config("alpha", config)
    name = api.deploy("alpha", ["alpha"], credentials_profile="master_account", image="i:1").unique_instance_name
    assert name is not None
    fake.discover(name)
    fake.advance(name, pnl=12.5, volume=2000.0, unrealized=-2.5)
    return name


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``uptrade dashboard`` on a free port, as a user starts it, watching a loopback hummingbot-api."""
    missing = missing_browser()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"{', '.join(missing)} missing: CI drives the dashboard in a browser (scripts/test.sh installs it)"
            )
        pytest.skip(f"{', '.join(missing)} missing (apt-get install chromium chromium-driver; scripts/test.sh does it)")
    url = build_store(tmp_path_factory.mktemp("dash") / "store.db")
    _paper_run(url)
    log = tmp_path_factory.mktemp("dashlog") / "dashboard.log"
    fake = FakeHummingbotApi(password=PASSWORD, now=datetime(2026, 12, 1, tzinfo=UTC))
    with ServerThread(fake.app) as api_url:
        with HummingbotApi(api_url, "admin", SecretStr(PASSWORD), attempts=1) as api:
            bot = _deploy(api, fake)
        env = {"UPTRADE_HBAPI_URL": api_url, "UPTRADE_HBAPI_USERNAME": "admin", "UPTRADE_HBAPI_PASSWORD": PASSWORD}
        with serve(url, log, env=env) as base:
            yield Served(base, fake, bot)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
    assert fake.crashes == []


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Any]:
    with chromium() as driver:
        yield driver


def test_every_page_renders_in_chromium(served: Served, browser: Any, tmp_path: Path) -> None:
    server = served.base
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


def _click(driver: Any, label: str) -> None:
    """Click the button whose text is ``label``, as a user does."""
    from selenium.webdriver.common.by import By

    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "button") if b.text.strip().endswith(label)]
    assert len(buttons) == 1, [b.text for b in driver.find_elements(By.CSS_SELECTOR, "button")]
    buttons[0].click()


def test_a_bot_is_stopped_from_its_card_after_a_confirmation(served: Served, browser: Any) -> None:
    stops = lambda: [p for _, p in served.fake.requests if p.endswith("/stop-bot")]  # noqa: E731
    state, _ = open_page(browser, served.base, "bots", 1)
    assert state["errors"] == []
    page = browser.find_element("css selector", '[data-testid="stMain"]').text
    assert served.bot in page
    assert "sniper_btc" in page
    assert PASSWORD not in browser.page_source
    _click(browser, "Stop")
    wait_for_text(browser, f"Stop {served.bot}")  # the confirmation it asks for
    assert not stops()  # one click only asks
    assert served.fake.bots[served.bot].phase == "running"
    _click(browser, "Yes, stop")
    wait_for_text(browser, f"{served.bot}: stop sent")
    assert settle(browser, 1)["errors"] == []
    assert len(stops()) == 1
    assert served.fake.bots[served.bot].phase == "stopped"
