"""Controller performance snapshots and archived bots of the fake hummingbot-api.

Snapshot rows live in ``api.snapshots`` and are read with the real repository's rules: filters,
newest first, interval sampling by minutes between kept rows, ``limit * (minutes // 5) + 1`` rows
fetched before sampling, and a cursor that keeps rows strictly older than itself. An archived
bot is ``api.archived[name]``, listed as ``bots/archived/{name}/data/{name}.sqlite``.
"""

from __future__ import annotations

import json
import posixpath
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tests.fakes.hbapi_bots import FakeBot
from tests.fakes.hbapi_http import ApiError, Params, Reply, Req, Route

if TYPE_CHECKING:
    from tests.fakes.hbapi import FakeHummingbotApi

INTERVAL_MINUTES = {"5m": 5, "15m": 15, "30m": 30, "1h": 60, "4h": 240, "12h": 720, "1d": 1440}


def record_snapshots(api: FakeHummingbotApi, bots: list[FakeBot]) -> int:
    """Rows as ``dump_controller_performance`` writes them, all stamped ``api.now``."""
    n = 0
    for bot in bots:
        for cid, rep in bot.performance.items():
            api.snapshots.append(
                {
                    "timestamp": api.now,
                    "bot_name": bot.name,
                    "controller_id": cid,
                    "status": "running",
                    "performance": json.loads(json.dumps(rep)),
                    "custom_info": json.loads(json.dumps(bot.custom_info.get(cid, {}))),
                }
            )
            n += 1
    return n


def _row(s: dict[str, Any]) -> dict[str, Any]:
    return {**s, "timestamp": s["timestamp"].isoformat()}


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def perf_latest(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    name = p.query("bot_name", str, None)
    p.check()
    rows = [s for s in api.snapshots if not name or s["bot_name"] == name]
    newest: dict[tuple[str, str], datetime] = {}
    for s in rows:
        key = (s["bot_name"], s["controller_id"])
        newest[key] = max(newest.get(key, s["timestamp"]), s["timestamp"])
    latest = [s for s in rows if s["timestamp"] == newest[(s["bot_name"], s["controller_id"])]]
    latest.sort(key=lambda s: (s["bot_name"], s["controller_id"]))
    return 200, {"status": "success", "data": [_row(s) for s in latest]}


def perf_history(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    name = p.query("bot_name", str, None)
    cid = p.query("controller_id", str, None)
    limit = p.query("limit", int, 100, le=1000)
    cursor = p.query("cursor", str, None)
    start = p.query("start_time", str, None)
    end = p.query("end_time", str, None)
    interval = p.query("interval", str, "5m", pattern="^(5m|15m|30m|1h|4h|12h|1d)$")
    p.check()
    try:
        t0 = _aware(datetime.fromisoformat(start)) if start else None
        t1 = _aware(datetime.fromisoformat(end)) if end else None
    except ValueError as exc:
        raise ApiError(400, f"Invalid datetime format: {exc}") from None
    rows = [
        s
        for s in api.snapshots
        if (not name or s["bot_name"] == name)
        and (not cid or s["controller_id"] == cid)
        and (t0 is None or s["timestamp"] >= t0)
        and (t1 is None or s["timestamp"] <= t1)
    ]
    if cursor:
        try:
            c = _aware(datetime.fromisoformat(cursor.replace("Z", "+00:00")))
            rows = [s for s in rows if s["timestamp"] < c]
        except (ValueError, TypeError):
            pass
    # newest first; rows written together keep the order the database returns them in (newest id first)
    rows = [s for _, s in sorted(enumerate(rows), key=lambda t: (t[1]["timestamp"], t[0]), reverse=True)]
    minutes = INTERVAL_MINUTES.get(interval, 5)
    fetch = (limit * max(1, minutes // 5) + 1) if limit else (100 * max(1, minutes // 5) + 1)
    if fetch < 0:  # the database rejects a negative LIMIT; the orchestrator swallows it
        data, next_cursor, has_more = [], None, False
    else:
        sampled = [_row(s) for s in rows[:fetch]]
        if minutes > 5 and sampled:
            kept, last = [], None
            for item in sampled:
                t = datetime.fromisoformat(item["timestamp"])
                if last is None or (last - t).total_seconds() / 60 >= minutes:
                    kept.append(item)
                    last = t
            sampled = kept
        has_more = len(sampled) > limit if limit else False
        data = sampled[:limit] if has_more else sampled
        next_cursor = data[-1]["timestamp"] if has_more and data else None
    pagination = {"next_cursor": next_cursor, "has_more": has_more, "limit": limit, "interval": interval}
    return 200, {"status": "success", "data": data, "pagination": pagination}


# --------------------------------------------------------------------------- archived bots


def db_path(name: str) -> str:
    return f"bots/archived/{name}/data/{name}.sqlite"


def _archived(api: FakeHummingbotApi, raw: str) -> FakeBot:
    rel = raw.removeprefix("bots/")
    norm = posixpath.normpath("/" + rel)
    if not norm.startswith("/archived/"):
        raise ApiError(400, f"Path '{raw}' is outside the archived bots directory")
    parts = norm.split("/")
    if len(parts) == 5 and parts[3] == "data" and parts[2] in api.archived and parts[4] == f"{parts[2]}.sqlite":
        return api.archived[parts[2]]
    raise ApiError(404, f"Database path '{raw}' not found")


def archived_list(api: FakeHummingbotApi, req: Req) -> Reply:
    return 200, [db_path(name) for name in api.archived]


def archived_status(api: FakeHummingbotApi, req: Req) -> Reply:
    raw = req.params["db_path"]
    bot = _archived(api, raw)
    none = "Error - No records matched"
    status = {
        "db_name": f"{bot.name}.sqlite",
        "db_path": f"sqlite:////hummingbot-api/{db_path(bot.name)}",
        "trade_fill": "Correct" if bot.trades else none,
        "orders": "Correct" if bot.trades else none,
        "order_status": "Correct" if bot.trades else none,
        "executors": none,
        "controllers": "Correct" if bot.controller_ids else none,
        "positions": none,
        "general_status": False,
    }
    return 200, {"db_path": raw, "status": status, "healthy": False}


def archived_summary(api: FakeHummingbotApi, req: Req) -> Reply:
    raw = req.params["db_path"]
    bot = _archived(api, raw)
    pairs = sorted({t["trading_pair"] for t in bot.trades if "trading_pair" in t})
    venues = sorted({t["connector_name"] for t in bot.trades if "connector_name" in t})
    return 200, {
        "db_path": raw,
        "total_orders": len(bot.trades),
        "total_trades": len(bot.trades),
        "total_executors": 0,
        "total_positions": 0,
        "total_controllers": len(bot.controller_ids),
        "trading_pairs": pairs,
        "exchanges": venues,
    }


def archived_performance(api: FakeHummingbotApi, req: Req) -> Reply:
    raw = req.params["db_path"]
    bot = _archived(api, raw)
    if not bot.trades:
        return 200, {"db_path": raw, "error": "No trades found in database", "performance_data": []}
    raise ApiError(500, "Error calculating performance: trade-based performance is not simulated by the fake")


def archived_delete(api: FakeHummingbotApi, req: Req) -> Reply:
    raw = req.params["db_path"]
    bot = _archived(api, raw)
    del api.archived[bot.name]
    before = len(api.bot_runs)
    api.bot_runs[:] = [r for r in api.bot_runs if r["bot_name"] != bot.name]
    return 200, {
        "message": f"Archived bot '{bot.name}' deleted successfully",
        "bot_name": bot.name,
        "bot_runs_deleted": before - len(api.bot_runs),
    }


PERF_ROUTES = [
    Route("GET", "/bot-orchestration/controller-performance-latest", perf_latest),
    Route("GET", "/bot-orchestration/controller-performance-history", perf_history),
]
ARCHIVED_ROUTES = [
    Route("GET", "/archived-bots/", archived_list),
    Route("DELETE", "/archived-bots/{db_path:path}", archived_delete),
    Route("GET", "/archived-bots/{db_path:path}/status", archived_status),
    Route("GET", "/archived-bots/{db_path:path}/summary", archived_summary),
    Route("GET", "/archived-bots/{db_path:path}/performance", archived_performance),
]
