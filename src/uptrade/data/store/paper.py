"""Paper-trading tables of the store (mixed into every backend): runs, their executors, performance.

A paper run (:mod:`uptrade.execution.paper`) writes each bar in one transaction
(:meth:`PaperMixin.write_paper_bar`): the run's last processed bar (a compare-and-set on the one
before, so two processes can never both advance a run), the executors that bar opened, closed or
marked, and optionally a ``bot_performance`` row. Executors are keyed by bot and open time (at
most one opens per bar) and performance rows by bot and time, so every write is an idempotent
upsert: writing a bar again changes nothing, and a kill between two bars leaves the store exactly
at the last one.

Times go in and out as whole epoch seconds (``int``); the frames for display carry UTC Timestamps.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from uptrade.data.store import schema
from uptrade.data.store.dberrors import db_reason
from uptrade.data.times import time_index
from uptrade.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

#: Columns of the run row holding times (epoch seconds through the API).
RUN_TIMES = ("first_bar", "trade_from", "end_bar", "last_bar")
#: Columns of an executor row holding times.
EXECUTOR_TIMES = ("open_time", "close_time")


def epoch_of(value: Any) -> int | None:
    """Whole epoch seconds of a stored time (an integer on SQLite, an aware datetime on PostgreSQL)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(value)


def _plain(value: Any) -> Any:
    """NumPy scalars as Python values, NaN and infinities as NULL."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@functools.lru_cache(maxsize=64)
def _upsert_statement(dialect: str, table: str, columns: tuple[str, ...], keys: tuple[str, ...]) -> Any:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` of ``columns``, built once (building costs more than running)."""
    target = schema.metadata.tables[table]
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(target)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(target)
    return stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in columns if c not in keys}
    )


def _upsert(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert ``rows`` into ``table``, replacing the columns of rows whose ``keys`` exist (one statement)."""
    if rows:
        stmt = _upsert_statement(conn.dialect.name, table.name, tuple(rows[0]), tuple(keys))
        conn.execute(stmt, list(rows))


@functools.lru_cache(maxsize=8)
def _advance_statement(columns: tuple[str, ...], first: bool) -> Any:
    """The compare-and-set of a run's last bar (``:prev`` -> ``:bar``) setting ``columns`` too; built once."""
    table = schema.paper_runs
    last = table.c.last_bar
    where = last.is_(None) if first else last == sa.bindparam("prev")
    values: dict[str, Any] = {c: sa.bindparam(f"v_{c}") for c in columns}
    return (
        table.update()
        .where(table.c.bot_name == sa.bindparam("bot"), where)
        .values(last_bar=sa.bindparam("bar"), **values)
    )


class PaperMixin:
    """Paper runs, their executors and their ``bot_performance`` rows for :class:`~uptrade.data.store.Store`."""

    engine: Engine

    def _time_param(self, epoch_s: int) -> Any:  # provided by the backend
        raise NotImplementedError

    def _times(self, row: dict[str, Any], names: Sequence[str]) -> dict[str, Any]:
        """``row`` with its epoch-second ``names`` as the backend's time values and NaN as NULL."""
        out = {k: _plain(v) for k, v in row.items()}
        for name in names:
            if out.get(name) is not None:
                out[name] = self._time_param(int(out[name]))
        return out

    # ----------------------------------------------------------------- runs
    def paper_run(self, bot_name: str) -> dict[str, Any] | None:
        """The stored run of ``bot_name`` (times as epoch seconds), or None."""
        table = schema.paper_runs
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(table).where(table.c.bot_name == bot_name)).mappings().first()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the paper run of {bot_name} failed: {db_reason(exc)}") from exc
        return None if row is None else _run(dict(row))

    def paper_runs(self) -> list[dict[str, Any]]:
        """Every stored paper run, by bot name (times as epoch seconds)."""
        table = schema.paper_runs
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(table).order_by(table.c.bot_name)).mappings().all()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the paper runs failed: {db_reason(exc)}") from exc
        return [_run(dict(r)) for r in rows]

    def begin_paper_run(self, run: dict[str, Any], *, reset: bool = False) -> None:
        """Write the run row (insert or replace) in one transaction; ``reset`` first deletes everything
        stored for the bot (run, executors, ``bot_performance`` rows)."""
        bot = run["bot_name"]
        try:
            with self.engine.begin() as conn:
                if reset:
                    _delete_bot(conn, bot)
                _upsert(conn, schema.paper_runs, [self._times(run, RUN_TIMES)], ["bot_name"])
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"starting the paper run of {bot} failed, nothing was written: {db_reason(exc)}") from exc

    def delete_paper_run(self, bot_name: str) -> bool:
        """Delete the run, executors and ``bot_performance`` rows of ``bot_name`` in one transaction; had it a run?"""
        try:
            with self.engine.begin() as conn:
                return _delete_bot(conn, bot_name)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"deleting the paper run of {bot_name} failed: {db_reason(exc)}") from exc

    def set_paper_status(self, bot_name: str, status: str, updated_at: datetime) -> None:
        """Set the run's status (``stopped``, ``finished``, ...) without touching its bars."""
        table = schema.paper_runs
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    table.update().where(table.c.bot_name == bot_name).values(status=status, updated_at=updated_at)
                )
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"saving the status of the paper run of {bot_name} failed: {db_reason(exc)}") from exc

    def write_paper_bar(
        self,
        bot_name: str,
        bar: int,
        previous: int | None,
        run: dict[str, Any],
        executors: Sequence[dict[str, Any]],
        performance: dict[str, Any] | None = None,
    ) -> None:
        """Everything bar ``bar`` changed, in one transaction (module docstring).

        ``run`` holds the run's new values (``status``, ``equity``, ``updated_at``); its
        ``last_bar`` moves from ``previous`` to ``bar`` only if it still is ``previous``, else
        nothing is written and a :class:`~uptrade.errors.StoreError` says another process
        advanced the run. ``executors`` are full rows (``paper_executors``' columns),
        ``performance`` a ``bot_performance`` row (its ``time`` in epoch seconds).
        """
        stmt = _advance_statement(tuple(run), previous is None)
        params = {f"v_{k}": _plain(v) for k, v in run.items()}
        params.update(bot=bot_name, bar=self._time_param(bar))
        if previous is not None:
            params["prev"] = self._time_param(previous)
        try:
            with self.engine.begin() as conn:
                moved = conn.execute(stmt, params)
                if moved.rowcount != 1:
                    raise StoreError(
                        f"paper run {bot_name}: its last bar is no longer the one this process wrote "
                        "(another process runs it, or it was reset); nothing was written"
                    )
                rows = [self._times(e, EXECUTOR_TIMES) for e in executors]
                _upsert(conn, schema.paper_executors, rows, ["bot_name", "open_time"])
                if performance is not None:
                    perf = self._times(performance, ("time",))
                    _upsert(conn, schema.bot_performance, [perf], ["bot_name", "time"])
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(
                f"writing a bar of paper run {bot_name} failed, nothing was written: {db_reason(exc)}"
            ) from exc

    # ----------------------------------------------------------------- reads
    def paper_executor_rows(self, bot_name: str) -> list[dict[str, Any]]:
        """The stored executors of ``bot_name`` in opening order, times as epoch seconds."""
        table = schema.paper_executors
        query = sa.select(table).where(table.c.bot_name == bot_name).order_by(table.c.open_time)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the paper executors of {bot_name} failed: {db_reason(exc)}") from exc
        out = []
        for r in rows:
            row = dict(r)
            for name in EXECUTOR_TIMES:
                row[name] = epoch_of(row[name])
            out.append(row)
        return out

    def paper_executors(self, bot_name: str, status: str | None = None) -> pd.DataFrame:
        """The executors of ``bot_name`` (``open`` or ``closed`` ones only with ``status``), times as UTC Timestamps."""
        rows = [r for r in self.paper_executor_rows(bot_name) if status is None or r["status"] == status]
        frame = pd.DataFrame(rows, columns=list(schema.paper_executors.c.keys()))
        for name in EXECUTOR_TIMES:
            frame[name] = pd.to_datetime(frame[name].astype("float64"), unit="s", utc=True)
        return frame

    def paper_performance(self, bot_name: str, last: int | None = None) -> pd.DataFrame:
        """The ``bot_performance`` rows of ``bot_name``, oldest first (the ``last`` ones with ``last``); UTC index."""
        table = schema.bot_performance
        query = sa.select(table).where(table.c.bot_name == bot_name).order_by(table.c.time.desc())
        if last is not None:
            query = query.limit(last)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the performance of {bot_name} failed: {db_reason(exc)}") from exc
        frame = pd.DataFrame([dict(r) for r in rows[::-1]], columns=list(table.c.keys()))
        frame.index = time_index(frame.pop("time"))
        return frame

    # ------------------------------------------------------- bot performance (paper and hummingbot)
    def write_bot_performance(self, rows: Sequence[dict[str, Any]]) -> int:
        """Upsert ``bot_performance`` rows (``time`` in epoch seconds) in one transaction; how many.

        Keyed by bot and time, so writing the same rows again changes nothing (sync is idempotent).
        """
        if not rows:
            return 0
        columns = tuple(rows[0])
        if any(tuple(r) != columns for r in rows):
            raise StoreError("bot_performance rows must all have the same columns")
        prepared = [self._times(r, ("time",)) for r in rows]
        try:
            with self.engine.begin() as conn:
                _upsert(conn, schema.bot_performance, prepared, ["bot_name", "time"])
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"writing bot performance failed, nothing was written: {db_reason(exc)}") from exc
        return len(prepared)

    def last_performance_time(self, bot_name: str) -> int | None:
        """Epoch seconds of the newest ``bot_performance`` row of ``bot_name`` (None when it has none)."""
        table = schema.bot_performance
        query = sa.select(sa.func.max(table.c.time)).where(table.c.bot_name == bot_name)
        try:
            with self.engine.connect() as conn:
                value = conn.execute(query).scalar()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading the performance of {bot_name} failed: {db_reason(exc)}") from exc
        return epoch_of(value)

    def bot_performance_latest(self) -> list[dict[str, Any]]:
        """The newest ``bot_performance`` row of every bot, paper and hummingbot alike, by bot name."""
        table = schema.bot_performance
        newest = (
            sa.select(table.c.bot_name, sa.func.max(table.c.time).label("time")).group_by(table.c.bot_name).subquery()
        )
        query = (
            sa.select(table)
            .join(newest, sa.and_(table.c.bot_name == newest.c.bot_name, table.c.time == newest.c.time))
            .order_by(table.c.bot_name)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading bot performance failed: {db_reason(exc)}") from exc
        return [{**dict(r), "time": epoch_of(r["time"])} for r in rows]


def _run(row: dict[str, Any]) -> dict[str, Any]:
    for name in RUN_TIMES:
        row[name] = epoch_of(row[name])
    return row


def _delete_bot(conn: Connection, bot_name: str) -> bool:
    """Delete what is stored for ``bot_name`` inside the caller's transaction; whether it had a run."""
    for table in (schema.paper_executors, schema.bot_performance):
        conn.execute(table.delete().where(table.c.bot_name == bot_name))
    runs = schema.paper_runs
    return bool(conn.execute(runs.delete().where(runs.c.bot_name == bot_name)).rowcount)


__all__ = ["EXECUTOR_TIMES", "RUN_TIMES", "PaperMixin", "epoch_of"]
