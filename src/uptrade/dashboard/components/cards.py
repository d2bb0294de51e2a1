"""Bot cards: one bordered box per bot (state, PnL, executors, last update) and the stop controls.

The text of a card comes from plain functions (:func:`pnl_text`, :func:`figures`, ...), tested on
their own; :func:`render_card` only lays them out. Figures are formatted as ``uptrade paper
status`` prints them (the same formatter), so the page and the terminal read alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import streamlit as st

from uptrade.execution.monitor import BotView, State
from uptrade.research.report_format import fmt_value

#: Badge colour per state (Streamlit's named colours).
STATE_COLOURS: dict[State, str] = {
    "running": "green",
    "interrupted": "orange",
    "error": "red",
    "stopped": "gray",
    "unknown": "blue",
}
SOURCE_LABELS = {"paper": "paper", "hummingbot": "hummingbot-api"}
#: Display names of the executor columns, in the order shown.
EXECUTOR_COLUMNS = {
    "status": "status",
    "open_time": "opened",
    "side": "side",
    "entry_price": "entry",
    "price": "last / exit",
    "amount": "amount",
    "amount_quote": "notional",
    "net_pnl_quote": "PnL",
    "net_pnl_pct": "PnL %",
    "fees_quote": "fees",
    "close_time": "closed",
    "close_type": "close type",
}

Action = Callable[[], None]


def money(value: float | None) -> str:
    """``+1,234.56`` (a sign always), ``-`` for None."""
    return "-" if value is None else f"{value:+,.2f}"


def pnl_text(view: BotView) -> str:
    """The PnL in quote, signed."""
    return money(view.pnl)


def pnl_delta(view: BotView) -> str | None:
    """The PnL as a percentage of the bot's capital (``+1.23%``), None when it has no capital."""
    pct = view.pnl_pct
    return None if pct is None else f"{pct:+.2%}"


def pnl_line(view: BotView) -> str:
    """``+12.34 (+1.23%)``: the PnL as ``uptrade paper status`` prints it (without colour)."""
    delta = pnl_delta(view)
    return pnl_text(view) + (f" ({delta})" if delta else "")


def badge(view: BotView) -> str:
    """The status as a coloured Markdown badge (its colour says the state)."""
    return f":{STATE_COLOURS[view.state]}-badge[{view.status}]"


def title(view: BotView) -> str:
    """``**name** :green-badge[running]`` (Markdown)."""
    return f"**{view.name}** {badge(view)}"


def subtitle(view: BotView) -> str:
    """Source, market and mode on one line."""
    parts = [SOURCE_LABELS[view.source], view.market]
    if view.mode:
        parts.append(view.mode)
    return " · ".join(parts)


def open_label(view: BotView) -> str:
    """What the card's open count counts: executors (paper) or positions (hummingbot-api reports no executors)."""
    return "open executors" if view.source == "paper" else "open positions"


def open_count(view: BotView) -> str:
    value = view.open_executors if view.source == "paper" else view.open_positions
    return "-" if value is None else str(value)


def figures(view: BotView) -> dict[str, str]:
    """The card's smaller figures, label to text; those the source does not report are left out."""
    out: dict[str, str] = {}
    if view.source == "hummingbot":
        if view.realized_pnl is not None:
            out["realised"] = money(view.realized_pnl)
        if view.unrealized_pnl is not None:
            out["unrealised"] = money(view.unrealized_pnl)
    for label, key, value in (
        ("win rate", "win_rate", view.win_rate),
        ("drawdown", "max_drawdown_pct", view.drawdown),
        ("sharpe", "sharpe", view.sharpe),
        ("from", "t", view.trade_from),
        ("last bar", "t", view.last_bar),
        ("last update", "t", view.last_update),
    ):
        if value is not None or (view.source == "paper" and key != "t"):
            out[label] = fmt_value(key, value)
    return out


def figures_line(view: BotView) -> str:
    """:func:`figures` as one line: ``win rate 45.71% · drawdown 21.10% · ...``."""
    return " · ".join(f"{k} {v}" for k, v in figures(view).items())


def overview_frame(views: Iterable[BotView]) -> pd.DataFrame:
    """One row per bot with its figures as numbers (for a sortable table)."""
    rows = [
        {
            "bot": v.name,
            "source": SOURCE_LABELS[v.source],
            "market": v.market,
            "status": v.status,
            "PnL": v.pnl,
            "PnL %": None if v.pnl_pct is None else 100 * v.pnl_pct,
            "equity": v.equity,
            "volume": v.volume,
            "open": v.open_executors if v.source == "paper" else v.open_positions,
            "trades": v.trades,
            "win rate %": None if v.win_rate is None else 100 * v.win_rate,
            "drawdown %": None if v.drawdown is None else 100 * v.drawdown,
            "sharpe": v.sharpe,
            "last update": v.last_update,
        }
        for v in views
    ]
    columns = ["bot", "source", "market", "status", "PnL", "PnL %", "equity", "volume", "open", "trades",
               "win rate %", "drawdown %", "sharpe", "last update"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    for name in ("open", "trades"):
        frame[name] = frame[name].astype("Int64")
    return frame


def executors_frame(executors: pd.DataFrame) -> pd.DataFrame:
    """A paper run's executors (:func:`~uptrade.execution.monitor.paper_executors`) for display: open ones
    first, then the closed ones newest first; columns renamed, percentages in percent."""
    shown = executors.assign(_open=executors["status"] == "open").sort_values(
        ["_open", "open_time"], ascending=[False, False], kind="stable"
    )
    shown = shown[[c for c in EXECUTOR_COLUMNS if c in shown.columns]].rename(columns=EXECUTOR_COLUMNS)
    if "PnL %" in shown:
        shown["PnL %"] = shown["PnL %"] * 100
    return shown.reset_index(drop=True)


def card_key(view: BotView) -> str:
    """The card's widget key prefix: unique per source and bot."""
    return f"bots_card_{view.source}_{view.name}"


def render_card(
    view: BotView,
    *,
    confirming: bool = False,
    on_stop: Action | None = None,
    on_confirm: Action | None = None,
    on_cancel: Action | None = None,
    hint: str | None = None,
) -> None:
    """Draw one bot's card; with ``on_stop`` (a bot hummingbot-api can stop) its stop button.

    Stopping takes two clicks: ``Stop`` calls ``on_stop`` (the page then reruns with
    ``confirming``), and only ``Yes, stop`` calls ``on_confirm``; ``Cancel`` calls ``on_cancel``.
    ``hint`` is a line under the figures (how to stop a paper run).
    """
    key = card_key(view)
    with st.container(border=True, key=key):
        st.markdown(title(view))
        st.caption(subtitle(view))
        with st.container(horizontal=True, key=f"{key}_metrics"):
            st.metric("PnL", pnl_text(view), pnl_delta(view), help="PnL in quote; the change: % of the capital")
            if view.source == "paper":
                st.metric("equity", "-" if view.equity is None else f"{view.equity:,.2f}")
            else:
                st.metric("volume", "-" if view.volume is None else f"{view.volume:,.2f}")
            st.metric(open_label(view), open_count(view))
            st.metric("trades", fmt_value("trades", view.trades), help="closed executors")
        st.caption(figures_line(view))
        if view.note:
            st.caption(view.note)
        for line in view.errors:
            st.caption(f":red[{line}]")
        if hint:
            st.caption(hint)
        if on_stop is None:
            return
        if confirming:
            st.warning(f"Stop {view.name} on hummingbot-api? Its open orders are cancelled.", icon=":material/warning:")
            with st.container(horizontal=True):
                st.button("Yes, stop", key=f"{key}_confirm", type="primary", on_click=_call, args=(on_confirm,))
                st.button("Cancel", key=f"{key}_cancel", on_click=_call, args=(on_cancel,))
        else:
            st.button("Stop", key=f"{key}_stop", icon=":material/stop_circle:", on_click=_call, args=(on_stop,))


def _call(action: Any) -> None:
    if action is not None:
        action()


__all__ = [
    "EXECUTOR_COLUMNS",
    "STATE_COLOURS",
    "badge",
    "card_key",
    "executors_frame",
    "figures",
    "figures_line",
    "money",
    "open_count",
    "open_label",
    "overview_frame",
    "pnl_delta",
    "pnl_line",
    "pnl_text",
    "render_card",
    "subtitle",
    "title",
]
