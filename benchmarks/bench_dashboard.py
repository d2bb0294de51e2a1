"""How fast the dashboard's pages become interactive, against a bare Streamlit page of the same candles.

The store holds 400 days of real BTC/USDT and ETH/USDT 1h candles (``tests/dashboard_support``);
the sidebar's default range is the last year of them (8,760 bars). Two measurements:

- **script time** (Streamlit's ``AppTest``, in this process): each page's first run with empty
  caches (reads, indicators, figures) and a rerun with the caches warm (what a click costs on
  the server), against the anchor: a script that reads the same year with ``read_ohlcv`` and
  draws it as one Plotly candlestick chart;
- **browser time** (``uptrade dashboard`` served, Debian's Chromium): from navigation until the
  page's script is done and every chart is drawn, best of ``REPEAT`` loads, against the same
  anchor script served by the same Streamlit.

Printed, never asserted: the figures are this host's.

    python benchmarks/bench_dashboard.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402
from tests.dashboard_browser import chromium, missing_browser, open_page, serve  # noqa: E402
from tests.dashboard_support import build_store  # noqa: E402

from uptrade.dashboard import APP_PATH  # noqa: E402

PAGES = {"home": 1, "bots": 0, "signals": 1, "cycles": 1, "backtest": 0, "astro": 1}
REPEAT = 3
ANCHOR = """
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from uptrade.data.store import open_store
from uptrade.settings import get_settings

st.title("anchor")
store = open_store(get_settings().resolved_database_url())
c = store.read_ohlcv("BTC-USDT", "1h", limit=8760)
st.plotly_chart(go.Figure(go.Candlestick(x=c.index, open=c["open"], high=c["high"], low=c["low"], close=c["close"])))
"""


def _script_times(url: str, anchor: Path) -> dict[str, tuple[float, float]]:
    """(first run, warm rerun) seconds per page and for the anchor, each in a fresh AppTest."""
    import os

    import streamlit as st

    os.environ["UPTRADE_DATABASE_URL"] = url
    out = {}
    for page in ("anchor", *PAGES):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(anchor if page == "anchor" else APP_PATH), default_timeout=600)
        if page not in ("anchor", "home"):
            at.run()
            at.switch_page(f"views/{page}.py")
            st.cache_data.clear()
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        start = time.perf_counter()
        at.run()
        out[page] = (first, time.perf_counter() - start)
        assert not at.exception, (page, [e.value for e in at.exception])
    return out


def _browser_times(url: str, anchor: Path, tmp: Path) -> dict[str, float]:
    """Best seconds until interactive per page, and for the anchor served alike."""
    out = {}
    with serve(url, tmp / "dash.log", env={"UPTRADE_HBAPI_URL": ""}) as base, chromium() as driver:
        open_page(driver, base, "", 1)
        for page, charts in PAGES.items():
            path = "" if page == "home" else page
            out[page] = min(open_page(driver, base, path, charts)[1] for _ in range(REPEAT))
    with serve(url, tmp / "anchor.log", script=anchor) as base, chromium() as driver:
        open_page(driver, base, "", 1)
        out["anchor"] = min(open_page(driver, base, "", 1)[1] for _ in range(REPEAT))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = build_store(tmp / "store.db")
        anchor = tmp / "anchor.py"
        anchor.write_text(ANCHOR, encoding="utf-8")
        scripts = _script_times(url, anchor)
        base_first, base_warm = scripts["anchor"]
        print(
            f"script time (AppTest), anchor: read a year of 1h + one candlestick chart: first {base_first:.3f} s, "
            f"rerun {base_warm:.3f} s"
        )
        for page in PAGES:
            first, warm = scripts[page]
            print(
                f"  {page:9s} first {first:7.3f} s ({first / base_first:5.2f}x)   rerun {warm:6.3f} s "
                f"({warm / base_warm:5.2f}x)"
            )
        if missing_browser():
            print(f"browser time: skipped ({', '.join(missing_browser())} missing)")
            return
        browser = _browser_times(url, anchor, tmp)
        print(f"browser time (Chromium, best of {REPEAT}), anchor {browser['anchor']:.3f} s")
        for page in PAGES:
            print(f"  {page:9s} {browser[page]:6.3f} s ({browser[page] / browser['anchor']:5.2f}x)")


if __name__ == "__main__":
    main()
