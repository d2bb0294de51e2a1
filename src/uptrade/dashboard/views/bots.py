"""Bots: the paper runs in the store and, when hummingbot-api is configured, its bots, as status cards.

Every figure comes from :mod:`uptrade.execution.monitor`, which ``uptrade paper status`` reads
too. A card shows the state, PnL, open executors and last update; a bot on hummingbot-api has
a stop button that asks for a confirmation and then stops it as ``uptrade bots stop`` does. A
paper run runs in its own process: its card says how to stop it. Below the cards, one bot's
``bot_performance`` history and its executors. A store or an API that cannot be read is one
error line; the rest of the page is still shown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TypeVar

import pandas as pd
import streamlit as st

from uptrade.dashboard import context
from uptrade.dashboard.components import cards
from uptrade.dashboard.components.charts import line_figure
from uptrade.data.store import Store
from uptrade.errors import UpTradeError
from uptrade.execution import monitor
from uptrade.execution.monitor import BotView
from uptrade.settings import get_settings

T = TypeVar("T")
#: Cards side by side.
COLUMNS = 3
_CONFIRMING = "bots_confirming"
_NOTICE = "bots_notice"

settings = get_settings()


def attempt(what: str, read: Callable[[], T]) -> T | None:
    """``read()``, or one error line naming ``what`` failed (secrets masked) and None."""
    try:
        return read()
    except UpTradeError as exc:
        st.error(f"{what}: {monitor.public_message(exc, settings)}", icon=":material/error:")
        return None


@st.cache_data(ttl=context.READ_TTL, show_spinner=False, max_entries=32)
def history(url: str, name: str, stamp: str) -> pd.DataFrame:
    """A bot's ``bot_performance`` rows; ``stamp`` (its last update) makes a bot that moved read again."""
    return monitor.performance_history(context.store(), name)


@st.cache_data(ttl=context.READ_TTL, show_spinner=False, max_entries=32)
def executors(url: str, name: str, stamp: str) -> pd.DataFrame:
    return cards.executors_frame(monitor.paper_executors(context.store(), name))


# --------------------------------------------------------------------------- stopping


def ask(name: str) -> None:
    st.session_state[_CONFIRMING] = name


def cancel() -> None:
    st.session_state.pop(_CONFIRMING, None)


def stop(name: str) -> None:
    """The confirmed stop: the same call as ``uptrade bots stop``; its answer is shown on the next run."""
    st.session_state.pop(_CONFIRMING, None)
    try:
        api = monitor.hbapi_client(settings)
        if api is None:
            raise UpTradeError("hummingbot-api is not configured (UPTRADE_HBAPI_URL)")
        with api:
            st.session_state[_NOTICE] = ("success", monitor.stop_bot(api, name))
    except UpTradeError as exc:
        st.session_state[_NOTICE] = ("error", f"stopping {name}: {monitor.public_message(exc, settings)}")


def grid(views: list[BotView]) -> None:
    """The cards, :data:`COLUMNS` to a row, the ones needing a look first."""
    confirming = st.session_state.get(_CONFIRMING)
    ordered = monitor.by_state(views)
    for start in range(0, len(ordered), COLUMNS):
        for column, view in zip(st.columns(COLUMNS), ordered[start : start + COLUMNS], strict=False):
            with column:
                if view.source == "paper":
                    cards.render_card(view, hint=monitor.paper_stop_hint(view))
                elif view.stoppable:
                    cards.render_card(
                        view,
                        confirming=confirming == view.name,
                        on_stop=partial(ask, view.name),
                        on_confirm=partial(stop, view.name),
                        on_cancel=cancel,
                    )
                else:
                    cards.render_card(view)


# --------------------------------------------------------------------------- the page

st.title("Bots")
notice = st.session_state.pop(_NOTICE, None)
if notice is not None:
    kind, text = notice
    (st.success if kind == "success" else st.error)(text)

store: Store | None = attempt("store", context.store)
url = context.database_url()

st.subheader("Paper runs")
paper = attempt("store", partial(monitor.paper_bots, store)) if store is not None else None
if paper == []:
    st.info("No paper runs in the store: start one with `uptrade paper run BOT.yml` (`uptrade demo` runs one).")
elif paper:
    grid(paper)

st.subheader("hummingbot-api")
bots: list[BotView] | None = None
if monitor.hbapi_configured(settings):
    st.caption(f"at {monitor.public_url(settings.hbapi_url)}")
    with st.spinner("asking hummingbot-api"):
        api = monitor.hbapi_client(settings)
        assert api is not None
        with api:
            bots = attempt("hummingbot-api", partial(monitor.hummingbot_bots, api, store))
    if bots == []:
        st.info("hummingbot-api runs no bots: deploy one with `uptrade bots deploy BOT.yml`.")
else:
    st.caption("Not configured: set UPTRADE_HBAPI_URL to watch and stop its bots here.")
if bots is None and store is not None:
    synced = attempt("store", partial(monitor.synced_bots, store))
    if synced:
        st.caption("As of the last `uptrade bots sync`:")
        bots = synced
if bots:
    grid(bots)

views = [*(paper or []), *(bots or [])]
if views:
    st.subheader("All bots")
    with st.container(key="bots_overview"):
        st.dataframe(cards.overview_frame(views), hide_index=True, width="stretch")

    st.subheader("Details")
    labels = {f"{v.name} ({cards.SOURCE_LABELS[v.source]})": v for v in views}
    choice = st.selectbox("Bot", list(labels), key="bots_detail")
    view = labels[str(choice)]
    stamp = "" if view.last_update is None else view.last_update.isoformat()
    perf = attempt("store", partial(history, url, view.name, stamp)) if store is not None else None
    if perf is not None and perf.empty:
        where = "`uptrade bots sync` copies them" if view.source == "hummingbot" else "none written yet"
        st.caption(f"No bot_performance rows for {view.name} ({where}).")
    elif perf is not None:
        lines = {"PnL": perf["pnl"]}
        if view.source == "hummingbot":
            lines |= {"realised": perf["realized_pnl"], "unrealised": perf["unrealized_pnl"]}
        fig = line_figure(lines, title=f"{view.name}: PnL over time (bot_performance)", y_title="quote")
        st.plotly_chart(fig, width="stretch", key="bots_history")
    if view.source == "paper" and store is not None:
        rows = attempt("store", partial(executors, url, view.name, stamp))
        if rows is not None:
            st.caption(f"Executors of {view.name}: {int((rows['status'] == 'open').sum())} open, {len(rows)} in all")
            with st.container(key="bots_executors"):
                st.dataframe(rows, hide_index=True, width="stretch")
    elif view.status not in ("synced", "not_found"):
        api = monitor.hbapi_client(settings)
        if api is not None:
            with api:
                live = attempt("hummingbot-api", partial(monitor.bot_status, api, view.name))
            if live is not None:
                st.caption(f"Controllers and executors of {view.name}")
                with st.container(key="bots_controllers"):
                    st.dataframe(monitor.controller_table(live), hide_index=True, width="stretch")
                positions = monitor.position_table(live)
                if not positions.empty:
                    st.caption("Open positions")
                    with st.container(key="bots_positions"):
                        st.dataframe(positions, hide_index=True, width="stretch")
