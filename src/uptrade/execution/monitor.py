"""One view of a bot for every shell: paper runs from the store and bots on hummingbot-api, side by side.

``uptrade paper status`` and the dashboard's bots page read bots through this module, so they
never disagree about a bot's state or PnL. A :class:`BotView` is the same record for both sources:

- a paper run (:func:`paper_bots`): its ``paper_runs`` row, its newest ``bot_performance`` row
  and its open executors. Its status is the run's own (``running``, ``stopped``, ``finished``,
  ``ruined``), except that a run recorded as running whose process no longer lives on this host
  reads ``interrupted`` (it was killed without recording a stop; running it again resumes it).
- a bot on hummingbot-api (:func:`hummingbot_bots`): the live status of
  ``/bot-orchestration/status``; its figures from the controllers' live reports, else from their
  newest performance snapshot on the API, else from the last ``uptrade bots sync`` (a stopped bot
  no longer reports). Bots synced earlier that the API no longer runs are listed after them.

Every view also has a :data:`State`, the four-way summary a display colours by: ``running``,
``stopped`` (stopped or finished), ``error`` (a ruined account, a bot that stopped with errors
or a controller in error) and ``interrupted`` (a paper process gone, a bot not heard from lately);
``unknown`` is left for bots known only from a sync, with the API not asked.

hummingbot-api is *configured* when ``UPTRADE_HBAPI_URL`` is set (in the environment or ``.env``):
the settings' default URL alone does not make a display call it (:func:`hbapi_configured`).
"""

from __future__ import annotations

import contextlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from uptrade.data.times import from_epoch
from uptrade.errors import ApiAuthError, ApiUnavailableError, HummingbotApiError, UpTradeError

if TYPE_CHECKING:
    from uptrade.data.store import Store
    from uptrade.execution.hbapi import HummingbotApi
    from uptrade.execution.hbapi_models import BotStatus
    from uptrade.settings import Settings

Source = Literal["paper", "hummingbot"]
State = Literal["running", "stopped", "error", "interrupted", "unknown"]
#: The states, in the order a display lists bots by (the ones needing a look first).
STATES: tuple[State, ...] = ("error", "interrupted", "running", "stopped", "unknown")
#: How many of a hummingbot bot's last error log lines a view keeps.
ERROR_LINES = 5

_PAPER_STATES: dict[str, State] = {
    "running": "running",
    "interrupted": "interrupted",
    "stopped": "stopped",
    "finished": "stopped",
    "ruined": "error",
}


@dataclass(frozen=True)
class BotView:
    """What a shell shows of one bot, paper or on hummingbot-api (module docstring).

    Money is in the quote currency; ``win_rate`` and ``drawdown`` are fractions. A figure the
    source does not report is None: hummingbot-api has no equity, win rate, drawdown or Sharpe
    and no count of open executors (it reports open positions); a paper run has no positions.
    """

    name: str
    source: Source
    #: The source's own word: a paper run's status (or ``interrupted``), hummingbot-api's bot status.
    status: str
    state: State
    symbol: str | None = None
    timeframe: str | None = None
    exchange: str | None = None
    #: A paper run's ``replay`` or ``live``.
    mode: str | None = None
    pnl: float | None = None
    #: What the PnL is a fraction of: a paper run's initial capital, a bot's ``total_amount_quote``.
    capital: float | None = None
    equity: float | None = None
    realized_pnl: float | None = None
    unrealized_pnl: float | None = None
    volume: float | None = None
    open_executors: int | None = None
    open_positions: int | None = None
    #: Closed executors.
    trades: int | None = None
    win_rate: float | None = None
    drawdown: float | None = None
    sharpe: float | None = None
    #: A paper run's first trading bar and the last bar it processed.
    trade_from: pd.Timestamp | None = None
    last_bar: pd.Timestamp | None = None
    #: When the figures were last written: a paper run's last write, a bot's newest performance snapshot.
    last_update: pd.Timestamp | None = None
    #: The process running a paper run, and its host.
    pid: int | None = None
    host: str | None = None
    controllers: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    note: str | None = None

    @property
    def market(self) -> str:
        """``BTC-USDT 1h`` for a paper run, ``BTC-USDT okx_paper_trade`` for a bot (``-`` when unknown)."""
        if self.source == "paper":
            return f"{self.symbol} {self.timeframe}"
        return " ".join(v for v in (self.symbol, self.exchange) if v) or "-"

    @property
    def pnl_pct(self) -> float | None:
        """PnL as a fraction of :attr:`capital` (None without either)."""
        if self.pnl is None or not self.capital:
            return None
        return self.pnl / self.capital

    @property
    def stoppable(self) -> bool:
        """Whether hummingbot-api can stop it now; a paper run stops in its own process (:func:`paper_stop_hint`)."""
        return self.source == "hummingbot" and self.status in ("running", "idle")


# --------------------------------------------------------------------------- paper runs


def paper_status(run: Mapping[str, Any]) -> str:
    """The run's status; ``running`` only while its process lives (else it was killed: ``interrupted``)."""
    from uptrade.execution.paper import pid_alive

    if run["status"] == "running" and not pid_alive(dict(run)):
        return "interrupted"
    return str(run["status"])


def paper_view(store: Store, run: Mapping[str, Any]) -> BotView:
    """The view of one ``paper_runs`` row: its newest performance row and its open executors read from ``store``."""
    name = str(run["bot_name"])
    perf = store.paper_performance(name, last=1)
    latest = {} if perf.empty else perf.iloc[-1].to_dict()
    status = paper_status(run)
    equity, capital = finite(run.get("equity")), float(run["initial_capital"])
    return BotView(
        name=name,
        source="paper",
        status=status,
        state=_PAPER_STATES.get(status, "error"),
        symbol=str(run["symbol"]),
        timeframe=str(run["timeframe"]),
        exchange=str(run["exchange"]),
        mode=str(run["mode"]),
        pnl=None if equity is None else equity - capital,
        capital=capital,
        equity=equity,
        open_executors=len(store.paper_executors(name, status="open")),
        trades=finite_count(latest.get("trades")),
        win_rate=finite(latest.get("win_rate")),
        drawdown=finite(latest.get("drawdown")),
        sharpe=finite(latest.get("sharpe")),
        trade_from=from_epoch(run.get("trade_from")),
        last_bar=from_epoch(run.get("last_bar")),
        last_update=_utc(run.get("updated_at")),
        pid=finite_count(run.get("pid")),
        host=run.get("host"),
    )


def paper_bots(store: Store) -> list[BotView]:
    """Every paper run in the store, by bot name."""
    return [paper_view(store, run) for run in store.paper_runs()]


def paper_bot(store: Store, name: str) -> BotView | None:
    """The paper run ``name``, or None when the store has none of that name."""
    run = store.paper_run(name)
    return None if run is None else paper_view(store, run)


def paper_executors(store: Store, name: str, status: str | None = None) -> pd.DataFrame:
    """The run's executors (``open`` or ``closed`` ones with ``status``), in opening order.

    The store's columns, plus ``price``: the exit price of a closed executor, the last price an
    open one was marked at.
    """
    frame = store.paper_executors(name, status=status)
    frame["price"] = frame["exit_price"].where(frame["exit_price"].notna(), frame["last_price"])
    return frame


def paper_stop_hint(view: BotView) -> str:
    """How to stop or resume a paper run: it runs in its own process, which no other process stops for it."""
    if view.state == "running":
        where = f" on {view.host}" if view.host else ""
        return (
            f"stop it with Ctrl-C in its terminal, or `kill -TERM {view.pid}`{where}: it finishes the bar, "
            "saves its state and records the stop; `uptrade paper run BOT.yml` resumes it"
        )
    if view.state == "interrupted":
        return "its process is gone without recording a stop: `uptrade paper run BOT.yml` resumes it"
    if view.status == "stopped":
        return "stopped with its state saved: `uptrade paper run BOT.yml` resumes it"
    return f"{view.status}: `uptrade paper run BOT.yml --reset` starts it over"


# --------------------------------------------------------------------------- hummingbot-api


def hbapi_configured(settings: Settings | None = None) -> bool:
    """Whether ``UPTRADE_HBAPI_URL`` is set (environment or ``.env``) to a URL, not left at its default."""
    if settings is None:
        from uptrade.settings import get_settings

        settings = get_settings()
    return "hbapi_url" in settings.model_fields_set and bool(settings.hbapi_url.strip())


def public_url(url: str) -> str:
    """``url`` with a password in it (``http://user:pw@host``) replaced by ``***``, safe to show."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def hbapi_client(settings: Settings | None = None) -> HummingbotApi | None:
    """A client of the configured hummingbot-api (use it as a context manager), None when none is configured."""
    from uptrade.execution.hbapi import HummingbotApi

    if settings is None:
        from uptrade.settings import get_settings

        settings = get_settings()
    return HummingbotApi.from_settings(settings) if hbapi_configured(settings) else None


def hummingbot_state(status: BotStatus) -> State:
    """The state of a bot as hummingbot-api reports it (module docstring)."""
    failing_controller = any(r.status == "error" or r.error for r in status.performance.values())
    if status.status == "running":
        return "error" if failing_controller else "running"
    if status.status == "idle":
        return "interrupted"
    if status.status in ("stopped", "stopping", "not_found"):
        failed = failing_controller or bool(status.error_logs) or bool(status.error)
        return "error" if failed else "stopped"
    return "error"


def hummingbot_bots(api: HummingbotApi, store: Store | None = None) -> list[BotView]:
    """Every bot hummingbot-api manages, then the bots ``store`` holds synced rows of that it no longer runs.

    Three requests plus one per bot (its controller configs: market and capital). An
    unreachable API or refused credentials raise their :class:`HummingbotApiError`.
    """
    statuses = api.bots()
    snapshots: dict[str, list[dict[str, Any]]] = defaultdict(list)
    stamps: dict[str, datetime] = {}
    for snap in api.performance_latest():
        snapshots[snap.bot_name].append(snap.performance)
        stamps[snap.bot_name] = max(stamps.get(snap.bot_name, snap.timestamp), snap.timestamp)
    synced = {r["bot_name"]: r for r in _synced_rows(store)} if store is not None else {}
    views = []
    for name, status in sorted(statuses.items()):
        configs = _controller_configs(api, name)
        views.append(_hummingbot_view(status, configs, snapshots.get(name, []), stamps.get(name), synced.get(name)))
    for name, row in sorted(synced.items()):
        if name not in statuses:
            note = "not on hummingbot-api now (archived or removed); figures of the last sync"
            views.append(_synced_view(row, status="not_found", state="stopped", note=note))
    return views


def synced_bots(store: Store) -> list[BotView]:
    """The bots ``uptrade bots sync`` copied into the store, as of their last sync (the API not asked)."""
    return [_synced_view(r, status="synced", state="unknown") for r in _synced_rows(store)]


def bot_status(api: HummingbotApi, name: str) -> BotStatus:
    """One bot's live status (a ConfigError for a name hummingbot-api cannot have, BotNotFoundError if unknown)."""
    from uptrade.execution.deploy import Deployer

    return Deployer(api).status(name)


def stop_bot(api: HummingbotApi, name: str, *, archive: bool = False, keep_orders: bool = False) -> str:
    """Stop a bot as ``uptrade bots stop`` does (open orders cancelled unless ``keep_orders``); the API's answer."""
    from uptrade.execution.deploy import Deployer

    return Deployer(api).stop(name, archive=archive, skip_order_cancellation=keep_orders)


def controller_table(status: BotStatus) -> pd.DataFrame:
    """One row per controller of a bot: status, PnL, volume, open positions, closed executors by close type."""
    rows = []
    for cid, report in status.performance.items():
        perf = report.performance
        counts = perf.get("close_type_counts")
        counts = counts if isinstance(counts, dict) else {}
        positions = perf.get("positions_summary")
        rows.append(
            {
                "controller": cid,
                "status": report.status,
                "pnl": finite(perf.get("global_pnl_quote")),
                "realized_pnl": finite(perf.get("realized_pnl_quote")),
                "unrealized_pnl": finite(perf.get("unrealized_pnl_quote")),
                "volume": finite(perf.get("volume_traded")),
                "open_positions": len(positions) if isinstance(positions, list) else None,
                "closed_executors": int(sum(finite(v) or 0.0 for v in counts.values())),
                "close_types": ", ".join(f"{str(k).split('.')[-1]} {v}" for k, v in counts.items()),
                "error": report.error,
            }
        )
    columns = ["controller", "status", "pnl", "realized_pnl", "unrealized_pnl", "volume", "open_positions",
               "closed_executors", "close_types", "error"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def position_table(status: BotStatus) -> pd.DataFrame:
    """The open positions the bot's controllers report (``positions_summary``), one row each, with its controller."""
    rows = []
    for cid, report in status.performance.items():
        positions = report.performance.get("positions_summary")
        for position in positions if isinstance(positions, list) else []:
            if isinstance(position, dict):
                rows.append({"controller": cid, **position})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- both


def performance_history(store: Store, name: str) -> pd.DataFrame:
    """A bot's ``bot_performance`` rows, oldest first (UTC index): a paper run's, or a bot's synced ones."""
    return store.paper_performance(name)


def by_state(views: Iterable[BotView]) -> list[BotView]:
    """``views`` ordered by :data:`STATES` (errors first), then by name."""
    return sorted(views, key=lambda v: (STATES.index(v.state), v.name))


def public_message(error: BaseException, settings: Settings | None = None) -> str:
    """An error's one line with the hummingbot-api password and the database URL's password masked."""
    if settings is None:
        from uptrade.settings import get_settings

        settings = get_settings()
    text = str(error)
    secrets = [settings.hbapi_password.get_secret_value()]
    if settings.database_url is not None:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        with contextlib.suppress(ArgumentError):
            secrets.append(make_url(settings.database_url.get_secret_value()).password or "")
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


# --------------------------------------------------------------------------- helpers


def _synced_rows(store: Store) -> list[dict[str, Any]]:
    from uptrade.execution.sync import SOURCE

    return [r for r in store.bot_performance_latest() if r.get("source") == SOURCE]


def _controller_configs(api: HummingbotApi, name: str) -> list[dict[str, Any]]:
    """The bot's controller configs; none for a bot whose instance folder is gone (the figures still show)."""
    try:
        return api.bot_controller_configs(name)
    except (ApiAuthError, ApiUnavailableError):
        raise
    except HummingbotApiError:
        return []


def _market(configs: list[dict[str, Any]]) -> tuple[str | None, str | None, float | None]:
    """Symbol (the store's spelling), connector and summed ``total_amount_quote`` of a bot's configs."""
    from uptrade.data.symbols import canonical_symbol

    symbol = exchange = None
    for config in configs:
        pair = config.get("trading_pair")
        if pair and symbol is None:
            try:
                symbol = canonical_symbol(str(pair))
            except UpTradeError:
                symbol = str(pair)
            exchange = config.get("connector_name")
    amounts = [a for a in (finite(c.get("total_amount_quote")) for c in configs) if a is not None]
    return symbol, (str(exchange) if exchange else None), (sum(amounts) if amounts else None)


def _report_figures(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """PnL, realised, unrealised, volume, closed executors and open positions summed over controller reports."""

    def total(key: str) -> float | None:
        values = [v for v in (finite(r.get(key)) for r in reports) if v is not None]
        return sum(values) if values else None

    counts = [r.get("close_type_counts") for r in reports]
    positions = [r.get("positions_summary") for r in reports]
    closed = [sum(finite(v) or 0.0 for v in c.values()) for c in counts if isinstance(c, dict)]
    held = [len(p) for p in positions if isinstance(p, list)]
    return {
        "pnl": total("global_pnl_quote"),
        "realized_pnl": total("realized_pnl_quote"),
        "unrealized_pnl": total("unrealized_pnl_quote"),
        "volume": total("volume_traded"),
        "trades": int(sum(closed)) if closed else None,
        "open_positions": sum(held) if held else None,
    }


def _hummingbot_view(
    status: BotStatus,
    configs: list[dict[str, Any]],
    snapshots: list[dict[str, Any]],
    stamp: datetime | None,
    synced: dict[str, Any] | None,
) -> BotView:
    symbol, exchange, capital = _market(configs)
    if status.performance:
        figures = _report_figures([r.performance for r in status.performance.values()])
    elif snapshots:
        figures = _report_figures(snapshots)
    elif synced is not None:
        figures = {k: finite(synced.get(k)) for k in ("pnl", "realized_pnl", "unrealized_pnl", "volume")}
        figures["trades"] = finite_count(synced.get("trades"))
    else:
        figures = {}
    last = pd.Timestamp(stamp) if stamp is not None else None
    if synced is not None and (last is None or from_epoch(synced["time"]) > last):
        last = from_epoch(synced["time"])
    errors = [e.line() for e in status.error_logs[-ERROR_LINES:]]
    errors += [f"{cid}: {r.error}" for cid, r in status.performance.items() if r.error]
    if status.error and status.found:
        errors.append(status.error)
    note = "not heard from lately" if status.status == "idle" else None
    return BotView(
        name=status.name,
        source="hummingbot",
        status=status.status,
        state=hummingbot_state(status),
        symbol=symbol or (synced or {}).get("symbol"),
        exchange=exchange or (synced or {}).get("exchange"),
        capital=capital,
        last_update=last,
        controllers=tuple(status.performance),
        errors=tuple(errors),
        note=note,
        **figures,
    )


def _synced_view(row: Mapping[str, Any], *, status: str, state: State, note: str | None = None) -> BotView:
    return BotView(
        name=str(row["bot_name"]),
        source="hummingbot",
        status=status,
        state=state,
        symbol=row.get("symbol"),
        exchange=row.get("exchange"),
        pnl=finite(row.get("pnl")),
        realized_pnl=finite(row.get("realized_pnl")),
        unrealized_pnl=finite(row.get("unrealized_pnl")),
        volume=finite(row.get("volume")),
        trades=finite_count(row.get("trades")),
        last_update=from_epoch(row["time"]),
        note=note,
    )


def finite(value: Any) -> float | None:
    """A finite float, or None (None, NaN, infinities and non-numbers): a reported figure as a number."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def finite_count(value: Any) -> int | None:
    """A reported count as an int, or None when it is not a finite number."""
    number = finite(value)
    return None if number is None else int(number)


def _utc(value: Any) -> pd.Timestamp | None:
    """A stored time as a UTC Timestamp (SQLite gives naive UTC datetimes)."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


__all__ = [
    "ERROR_LINES",
    "STATES",
    "BotView",
    "Source",
    "State",
    "bot_status",
    "by_state",
    "controller_table",
    "finite",
    "finite_count",
    "hbapi_client",
    "hbapi_configured",
    "hummingbot_bots",
    "hummingbot_state",
    "paper_bot",
    "paper_bots",
    "paper_executors",
    "paper_status",
    "paper_stop_hint",
    "paper_view",
    "performance_history",
    "position_table",
    "public_message",
    "public_url",
    "stop_bot",
    "synced_bots",
]
