"""The cycle-adaptive moving average: an MA whose length follows the rolling dominant cycle.

``cycle_ma_frame(candles, **params)`` gives, per bar, the dominant ``period`` (bars, sliding
Goertzel on hl2 as ``uptrade cycles`` measures it), the MA ``length`` it selects (rounded,
clamped to [min_period, max_period]; 0 until the scan has a full window) and the ``ma`` of that
length. ``CycleMAStream.update(bar)`` gives the same values one live bar at a time: the period
comes from :class:`~uptrade.indicators.spectral.DominantCycleStream` and the averages from the
same per-bar machines the batch runs in a loop, so the two agree bit for bit. This is the
indicator behind the ``uptrade_cycle`` controller and the ``cycle:cross`` signal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptrade.indicators.ma import ma_type_of
from uptrade.indicators.nb.cycle import cycle_ma_init_nb, cycle_ma_layout_nb, cycle_ma_nb, cycle_ma_step_nb
from uptrade.indicators.params import CycleParams
from uptrade.indicators.spectral import DominantCycleStream, dominant_cycle_rolling

INPUTS = ("high", "low", "close", "volume")


def cycle_length(period: np.ndarray, p: CycleParams) -> np.ndarray:
    """The MA length per bar: the dominant period rounded to bars and clamped; 0 where it is undefined."""
    ok = np.isfinite(period)
    length = np.clip(np.rint(np.where(ok, period, 0.0)), p.min_period, p.max_period)
    return np.where(ok, length, 0).astype(np.int64)


def _scan(p: CycleParams) -> dict[str, Any]:
    return {"min_period": float(p.min_period), "max_period": float(p.max_period), "window": p.window}


def cycle_ma_frame(frame: pd.DataFrame, **params: Any) -> pd.DataFrame:
    """``period``, ``length`` and ``ma`` of an OHLCV DataFrame (indexed like it)."""
    p = CycleParams.of(params)
    t = ma_type_of(p.ma_type)
    high = frame["high"].to_numpy(dtype=np.float64)
    low = frame["low"].to_numpy(dtype=np.float64)
    close = frame["close"].to_numpy(dtype=np.float64)
    volume = frame["volume"].to_numpy(dtype=np.float64) if t.needs_volume else close
    period = dominant_cycle_rolling((high + low) / 2.0, **_scan(p))["period"].to_numpy()
    length = cycle_length(period, p)
    hi = high if t.uses_hl else close
    lo = low if t.uses_hl else close
    ma = cycle_ma_nb(t.code, p.min_period, p.max_period, float(p.phase), float(p.power), close, hi, lo, volume, length)
    return pd.DataFrame({"period": period, "length": length, "ma": ma}, index=frame.index)


class CycleMAStream:
    """Live cycle-adaptive MA: ``update(bar)`` with ``high, low, close`` (and ``volume``) returns
    ``{"period", "length", "ma"}`` for that bar."""

    def __init__(self, **params: Any) -> None:
        self.params = p = CycleParams.of(params)
        self.type = ma_type_of(p.ma_type)
        self._dominant = DominantCycleStream(**_scan(p))
        self._offs = cycle_ma_layout_nb(self.type.code, p.min_period, p.max_period)
        self._state = np.empty(self._offs[-1])
        cycle_ma_init_nb(self.type.code, p.min_period, p.max_period, self._offs, self._state)

    def update(self, bar: Any) -> dict[str, float | int]:
        """Consume one bar (a mapping or object with ``high``, ``low``, ``close``, ``volume``)."""
        get = bar.__getitem__ if hasattr(bar, "__getitem__") else lambda k: getattr(bar, k)
        high, low, close = float(get("high")), float(get("low")), float(get("close"))
        p, t = self.params, self.type
        period, _ = self._dominant.update((high + low) / 2.0)
        length = int(cycle_length(np.array([period]), p)[0])
        volume = float(get("volume")) if t.needs_volume else close
        ma = cycle_ma_step_nb(
            t.code,
            p.min_period,
            p.max_period,
            float(p.phase),
            float(p.power),
            self._offs,
            self._state,
            close,
            high if t.uses_hl else close,
            low if t.uses_hl else close,
            volume,
            length,
        )
        return {"period": period, "length": length, "ma": float(ma)}


__all__ = ["INPUTS", "CycleMAStream", "cycle_length", "cycle_ma_frame"]
