"""Result tables of the store: indicator signals and dominant cycles (mixed into every backend).

Each write replaces what it covers in one transaction, so a rerun with other parameters never
leaves a mix of old and new rows, and a failing write leaves the old rows in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from uptrade.data.store import schema
from uptrade.data.store.dberrors import db_reason
from uptrade.data.symbols import canonical_symbol
from uptrade.data.timeframes import Timeframe, parse_timeframe
from uptrade.data.times import time_index, to_epoch
from uptrade.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class ResultsMixin:
    """``write_signals``/``read_signals`` and ``write_cycles``/``read_cycles`` for :class:`Store`."""

    engine: Engine

    def _time_param(self, epoch_s: int) -> Any:  # provided by the backend
        raise NotImplementedError

    def write_signals(
        self, symbol: str, timeframe: str | Timeframe, indicator: str, rows: pd.DataFrame, params: dict[str, Any]
    ) -> int:
        """Replace ``indicator``'s rows for the times in ``rows`` (UTC index; ``signal``, ``value``).

        One transaction: the old rows in that time range are deleted and the new ones inserted,
        so a rerun with other parameters never leaves a mix. Returns the number of rows written.
        """
        sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
        if rows.empty:
            return 0
        missing = {"signal", "value"} - set(rows.columns)
        if missing:
            raise ConfigError(f"indicator rows: missing column(s) {', '.join(sorted(missing))}")
        epochs = [to_epoch(t, "time") for t in rows.index]
        table = schema.indicator_signals
        values = [
            {
                "time": self._time_param(e),
                "symbol": sym,
                "timeframe": tf.name,
                "indicator": indicator,
                "signal": int(sig),
                "value": None if np.isnan(v) else float(v),  # NaN is stored as NULL
                "params": params,
            }
            for e, sig, v in zip(epochs, rows["signal"].to_numpy(), rows["value"].to_numpy(dtype=float), strict=True)
        ]
        where = sa.and_(
            table.c.symbol == sym,
            table.c.timeframe == tf.name,
            table.c.indicator == indicator,
            table.c.time >= self._time_param(min(epochs)),
            table.c.time <= self._time_param(max(epochs)),
        )
        try:
            with self.engine.begin() as conn:
                conn.execute(table.delete().where(where))
                conn.execute(table.insert(), values)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"writing {indicator} signals of {sym} {tf} failed: {db_reason(exc)}") from exc
        return len(values)

    def read_signals(self, symbol: str, timeframe: str | Timeframe, indicator: str) -> pd.DataFrame:
        """Stored rows of one indicator (UTC index ``time``; ``signal``, ``value``, ``params``)."""
        sym, tf = canonical_symbol(symbol), parse_timeframe(timeframe)
        table = schema.indicator_signals
        query = (
            sa.select(table.c.time, table.c.signal, table.c.value, table.c.params)
            .where(table.c.symbol == sym, table.c.timeframe == tf.name, table.c.indicator == indicator)
            .order_by(table.c.time)
        )
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading {indicator} signals of {sym} {tf} failed: {db_reason(exc)}") from exc
        index = time_index(r[0] for r in rows)
        return pd.DataFrame(
            {"signal": [r[1] for r in rows], "value": [r[2] for r in rows], "params": [r[3] for r in rows]}, index=index
        )

    def write_cycles(self, rows: Sequence[dict[str, Any]]) -> int:
        """Upsert dominant-cycle rows (``MTFCycles.rows``) in one transaction; returns the count.

        A row replaces the stored one with the same symbol, timeframe, method and time.
        """
        table = schema.dominant_cycles
        required = {"time", "symbol", "timeframe", "method"}
        values = []
        for i, row in enumerate(rows):
            missing = required - set(row)
            if missing:
                raise ConfigError(f"cycle row {i}: missing {', '.join(sorted(missing))}")
            unknown = set(row) - set(table.c.keys())
            if unknown:
                raise ConfigError(f"cycle row {i}: unknown column(s) {', '.join(sorted(unknown))}")
            epoch = to_epoch(row["time"], f"cycle row {i} time")
            if epoch is None:
                raise ConfigError(f"cycle row {i}: time is missing")
            value = {k: _plain(v) for k, v in row.items()}
            value.update(
                time=self._time_param(epoch),
                symbol=canonical_symbol(row["symbol"]),
                timeframe=parse_timeframe(row["timeframe"]).name,
            )
            values.append(value)
        if not values:
            return 0
        keys = [table.c.symbol, table.c.timeframe, table.c.method, table.c.time]
        try:
            with self.engine.begin() as conn:
                for v in values:
                    conn.execute(table.delete().where(*(c == v[c.name] for c in keys)))
                conn.execute(table.insert(), values)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(
                f"writing {len(values)} dominant-cycle rows failed, nothing was written: {db_reason(exc)}"
            ) from exc
        return len(values)

    def read_cycles(
        self, symbol: str, timeframe: str | Timeframe | None = None, method: str | None = None
    ) -> pd.DataFrame:
        """Stored dominant cycles of ``symbol`` (optionally one timeframe/method), oldest first."""
        table = schema.dominant_cycles
        query = sa.select(table).where(table.c.symbol == canonical_symbol(symbol))
        if timeframe is not None:
            query = query.where(table.c.timeframe == parse_timeframe(timeframe).name)
        if method is not None:
            query = query.where(table.c.method == method)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(query.order_by(table.c.time, table.c.timeframe)).mappings().all()
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"reading dominant cycles of {symbol} failed: {db_reason(exc)}") from exc
        frame = pd.DataFrame([dict(r) for r in rows], columns=list(table.c.keys()))
        frame.index = time_index(frame.pop("time"))
        return frame


def _plain(value: Any) -> Any:
    """NumPy scalars as Python values, NaN as NULL (drivers and JSON want plain types)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
