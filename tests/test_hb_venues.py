"""The committed venue lists are what the pinned Hummingbot registers (read again from its own package)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.hbenv import HB_VERSION, hummingbot_python
from uptrade.execution import venues

ROOT = Path(__file__).resolve().parents[1]
HB_PYTHON = hummingbot_python()


@pytest.mark.skipif(not HB_PYTHON.exists(), reason=f"no Hummingbot environment at {HB_PYTHON}")
def test_venues_match_the_installed_hummingbot(tmp_path: Path) -> None:
    out = tmp_path / "venues.json"
    done = subprocess.run(
        [str(HB_PYTHON), str(ROOT / "scripts" / "hb_venues.py"), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,  # liveness guard only
    )
    assert done.returncode == 0, done.stderr[-3000:]
    fresh = json.loads(out.read_text())
    committed = json.loads((ROOT / "src" / "uptrade" / "execution" / "hb_venues.json").read_text())
    assert fresh == committed, "hb_venues.json is stale: run scripts/hb_venues.py in the Hummingbot environment"
    assert fresh["hummingbot"] == HB_VERSION


def test_lists_hold_the_venues_the_examples_use() -> None:
    assert venues.hummingbot_version() == HB_VERSION
    assert {"binance_perpetual", "hyperliquid_perpetual", "okx_perpetual"} <= set(venues.perpetual_connectors())
    assert {"binance", "okx", "kraken"} <= set(venues.spot_connectors())
    assert not set(venues.spot_connectors()) & set(venues.perpetual_connectors())
    assert "uniswap/router" in venues.gateway_connectors()
    feeds = venues.candle_feeds()
    assert "1h" in feeds["binance_perpetual"]
    assert "1s" not in feeds["hyperliquid_perpetual"]
    assert set(venues.paper_trade_exchanges()) <= set(venues.spot_connectors())
