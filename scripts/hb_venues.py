"""Write src/uptrade/execution/hb_venues.json from the installed Hummingbot (run in its environment).

Usage:  ~/.cache/uptrade/hummingbot-20260922-py3.12/bin/python scripts/hb_venues.py [OUT.json]
Reads the connector settings Hummingbot itself registers (spot and perpetual exchanges, their
``*_paper_trade`` twins), its candle feeds (``CandlesFactory``) with the intervals each serves,
and lists the Gateway DEX connectors of the Gateway 2.x line (they live in Gateway, not in the
Hummingbot package). ``tests/test_bundle_hummingbot.py`` checks the committed file is current.
"""

from __future__ import annotations

import asyncio
import json
import sys
from importlib.metadata import version
from pathlib import Path

#: Gateway 2.x connectors, ``dex/type`` (router: aggregator swaps; amm: v2 pools; clmm: v3 pools).
GATEWAY = (
    "jupiter/router",
    "meteora/clmm",
    "orca/clmm",
    "pancakeswap/amm",
    "pancakeswap/clmm",
    "pancakeswap/router",
    "raydium/amm",
    "raydium/clmm",
    "uniswap/amm",
    "uniswap/clmm",
    "uniswap/router",
)


async def feeds() -> dict[str, list[str]]:
    from hummingbot.data_feed.candles_feed.candles_factory import CandlesFactory

    out = {}
    for name, cls in sorted(CandlesFactory._candles_map.items()):
        # ``intervals`` is a property reading no instance state: ask it without building a feed
        # (a feed's constructor checks the interval it is given against that same list)
        out[name] = list(cls.intervals.fget(None))
    return out


def main() -> int:
    from hummingbot.client.settings import AllConnectorSettings, ConnectorType

    settings = AllConnectorSettings.get_connector_settings()
    spot, perp = [], []
    for name, cs in sorted(settings.items()):
        if cs.type == ConnectorType.Derivative:
            perp.append(name)
        elif cs.type in (ConnectorType.Exchange, ConnectorType.CLOB_SPOT):
            spot.append(name)
    from hummingbot.client.config.client_config_map import PaperTradeConfigMap

    # the exchanges a stock client paper-trades (``<exchange>_paper_trade``; spot only)
    paper = sorted(PaperTradeConfigMap().paper_trade_exchanges)
    data = {
        "hummingbot": version("hummingbot"),
        "spot": spot,
        "perpetual": perp,
        "paper_trade": paper,
        "gateway": list(GATEWAY),
        "candle_feeds": asyncio.run(feeds()),
    }
    default = Path(__file__).resolve().parents[1] / "src/uptrade/execution/hb_venues.json"
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {out}: {len(spot)} spot, {len(perp)} perpetual, {len(data['candle_feeds'])} candle feeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
