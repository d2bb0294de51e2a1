"""Home: which store, what it holds (coverage and gaps per series) and the updater's feeds."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from uptrade.dashboard import context
from uptrade.dashboard.components.charts import coverage_figure

st.title("UpTrade")
with context.guard():
    store = context.store()
    cov = context.coverage(context.database_url())
    feeds = store.feed_status()
st.caption(f"store: {store.mode}, schema v{store.schema_version()}, {context.display_url()}")

if cov.empty:
    st.info("The store holds no candles yet: run `uptrade demo`, `uptrade data import` or `uptrade data backfill`.")
else:
    a, b, c, d = st.columns(4)
    a.metric("symbols", f"{cov['symbol'].nunique():,}")
    b.metric("series", f"{len(cov):,}")
    c.metric("candles", f"{int(cov['rows'].sum()):,}")
    d.metric("missing bars", f"{int(cov['missing'].sum()):,}", help="Bars absent between each series' first and last")
    st.plotly_chart(coverage_figure(cov), width="stretch", key="coverage_chart")
    st.subheader("Coverage")
    st.dataframe(cov, hide_index=True, width="stretch")
    sel = context.selection()
    if sel is not None:
        stored = cov.loc[cov["symbol"] == sel.symbol, "timeframe"].tolist()
        source = context.source_timeframe(stored, sel.timeframe)
        with context.guard():
            gaps = store.find_gaps(sel.symbol, source)
        built = "" if source == sel.timeframe else f" ({sel.timeframe} is built from it)"
        st.subheader(f"Gaps in {sel.symbol} {source}{built}")
        if gaps:
            st.dataframe(pd.DataFrame([g.__dict__ for g in gaps]), hide_index=True, width="stretch")
        else:
            st.success("No gaps: every bar between the first and the last is stored.")

st.subheader("Updater feeds")
if feeds:
    shown = pd.DataFrame(feeds)
    keep = ["feed", "state", "last_candle", "lag_candles", "rows_written", "last_success", "errors", "last_error"]
    st.dataframe(shown[[c for c in keep if c in shown.columns]], hide_index=True, width="stretch")
else:
    st.caption("No updater has saved a status yet (`uptrade data update` runs one).")
