"""The script ``uptrade dashboard`` runs: page setup, the navigation, the shared sidebar, the page.

Every page is a script in ``views/`` (not ``pages/``: Streamlit would also serve a directory of
that name as pages of its own, without this script's sidebar). The sidebar's controls (symbol,
timeframe, range) are built here, before the page runs, so each page reads the same choice
(:func:`context.selection`).
"""

from __future__ import annotations

import streamlit as st

from uptrade.dashboard import context

st.set_page_config(page_title="UpTrade", page_icon=":material/candlestick_chart:", layout="wide")

PAGES = [
    st.Page("views/home.py", title="Home", icon=":material/home:", url_path="home", default=True),
    st.Page("views/bots.py", title="Bots", icon=":material/smart_toy:", url_path="bots"),
    st.Page("views/signals.py", title="Signals", icon=":material/show_chart:", url_path="signals"),
    st.Page("views/cycles.py", title="Cycles", icon=":material/waves:", url_path="cycles"),
    st.Page("views/backtest.py", title="Backtest", icon=":material/query_stats:", url_path="backtest"),
    st.Page("views/astro.py", title="Astro", icon=":material/public:", url_path="astro"),
]

page = st.navigation(PAGES)
context.sidebar()
page.run()
