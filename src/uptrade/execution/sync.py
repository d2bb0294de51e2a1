"""``uptrade bots sync``: hummingbot-api's controller performance into the store's ``bot_performance`` table.

hummingbot-api snapshots every controller's performance report every few minutes
(``controller_performance_snapshots``) and serves it, newest first with a cursor, at
``/bot-orchestration/controller-performance-history``. A sync reads each bot's snapshots from
the newest row already stored onwards and upserts one row per bot and instant, summed over
the bot's controllers, with ``source = 'hummingbot'``:

- ``pnl``: ``global_pnl_quote`` (realised plus unrealised, fees included), as for paper bots;
- ``realized_pnl``, ``unrealized_pnl``: ``realized_pnl_quote``, ``unrealized_pnl_quote``;
- ``volume``: ``volume_traded``; ``trades``: closed executors (the sum of ``close_type_counts``).

``win_rate``, ``drawdown`` and ``sharpe`` stay empty: Hummingbot's report has no per-trade
results or equity series to derive them from, and UpTrade does not guess. Rows are keyed by bot
and time, so a sync repeated (or interrupted and re-run) writes nothing new twice. Paper bots
write the same table (``source = 'paper'``), so a display lists both side by side.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from uptrade.data.symbols import canonical_symbol
from uptrade.errors import ApiAuthError, ApiUnavailableError, HummingbotApiError, UpTradeError

if TYPE_CHECKING:
    from uptrade.data.store import Store
    from uptrade.data.updater import PeriodicJob
    from uptrade.execution.hbapi import HummingbotApi
    from uptrade.execution.hbapi_models import PerformanceSnapshot

SOURCE = "hummingbot"


@dataclass
class SyncReport:
    """What one sync did: rows written per bot, and the bots that could not be read (with why)."""

    rows: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        text = f"{self.total} performance rows from {len(self.rows)} bots"
        if self.failed:
            text += "; failed: " + "; ".join(f"{k}: {v}" for k, v in self.failed.items())
        return text


def market_of(api: HummingbotApi, bot_name: str) -> tuple[str | None, str | None]:
    """The store symbol and connector a bot trades (from its first controller config), or Nones."""
    try:
        configs = api.bot_controller_configs(bot_name)
    except HummingbotApiError:
        return None, None  # an archived bot has no instance folder left: the figures still sync
    for config in configs:
        pair, connector = config.get("trading_pair"), config.get("connector_name")
        if pair:
            try:
                return canonical_symbol(str(pair)), connector
            except UpTradeError:
                return str(pair), connector
    return None, None


def rows_of(
    bot_name: str, snapshots: list[PerformanceSnapshot], symbol: str | None, exchange: str | None
) -> list[dict[str, Any]]:
    """One ``bot_performance`` row per instant (epoch second), the bot's controllers summed."""
    by_time: dict[int, list[PerformanceSnapshot]] = defaultdict(list)
    for snap in snapshots:
        by_time[int(snap.timestamp.timestamp())].append(snap)
    rows = []
    for t in sorted(by_time):
        group = by_time[t]
        row: dict[str, Any] = {
            "time": t,
            "bot_name": bot_name,
            "symbol": symbol,
            "exchange": exchange,
            "source": SOURCE,
            "pnl": _sum(group, "global_pnl_quote"),
            "realized_pnl": _sum(group, "realized_pnl_quote"),
            "unrealized_pnl": _sum(group, "unrealized_pnl_quote"),
            "volume": _sum(group, "volume_traded"),
            "trades": _count(group),
        }
        rows.append(row)
    return rows


def _sum(group: list[PerformanceSnapshot], name: str) -> float | None:
    values = [v for v in (s.number(name) for s in group) if v is not None]
    return sum(values) if values else None


def _count(group: list[PerformanceSnapshot]) -> int | None:
    counts = [c for c in (s.closed_executors() for s in group) if c is not None]
    return sum(counts) if counts else None


def sync_bots(api: HummingbotApi, store: Store, bots: list[str] | None = None, *, page_size: int = 1000) -> SyncReport:
    """Sync ``bots`` (default: every bot hummingbot-api has performance for) into ``bot_performance``.

    Each bot is written in its own transaction; a bot that cannot be read is reported in
    ``failed`` and the others still sync. Credentials or an unreachable API fail the whole sync.
    """
    controllers: dict[str, set[str]] = defaultdict(set)  # every bot's controllers, in one request
    for snap in api.performance_latest():
        controllers[snap.bot_name].add(snap.controller_id)
    if bots is None:
        bots = sorted(set(api.bots()) | set(controllers))
    report = SyncReport()
    for name in bots:
        since = store.last_performance_time(name)
        start = None if since is None else datetime.fromtimestamp(since, UTC).isoformat()
        try:
            # one controller at a time: the API's cursor skips rows sharing the cursor's instant,
            # which a bot's controllers do (one dump writes them all)
            snapshots = [
                snap
                for cid in sorted(controllers.get(name, ()))
                for snap in api.performance_history(name, controller_id=cid, start=start, page_size=page_size)
            ]
        except HummingbotApiError as exc:
            if isinstance(exc, (ApiAuthError, ApiUnavailableError)):
                raise
            report.failed[name] = str(exc)
            continue
        symbol, exchange = market_of(api, name) if snapshots else (None, None)
        report.rows[name] = store.write_bot_performance(rows_of(name, snapshots, symbol, exchange))
    return report


def sync_job(store: Store, settings: Any) -> PeriodicJob | None:
    """The updater's periodic bots sync when ``bots_sync_interval`` is set (one client per run), else None."""
    from uptrade.data.updater import PeriodicJob
    from uptrade.execution.hbapi import HummingbotApi

    if settings.bots_sync_interval <= 0:
        return None

    def run() -> str:
        with HummingbotApi.from_settings(settings) as api:
            return sync_bots(api, store).summary()

    return PeriodicJob("bots-sync", float(settings.bots_sync_interval), run)


__all__ = ["SOURCE", "SyncReport", "market_of", "rows_of", "sync_bots", "sync_job"]
