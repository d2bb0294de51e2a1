"""Adapters: one signal from an indicator's outputs, named ``indicator:kind``.

Each adapter reads a pair of boolean flags (buy, sell) from the outputs an indicator of
:mod:`uptrade.indicators.registry` computes, or applies a rule of :mod:`uptrade.signals.rules` to
them:

========================  ===============================================================
``sniper:major``          ``major_buy`` / ``major_sell`` (the spec's SniperProX signal)
``sniper:minor``          ``minor_buy`` / ``minor_sell``
``sniper:trail``          ``buy_trail`` / ``sell_trail``
``sniper:adaptive``       ``adaptive_cross_up`` / ``adaptive_cross_down``
``vzo:major``             ``major_buy`` / ``major_sell`` (the spec's VZOProX signal)
``vzo:minor``             ``minor_buy`` / ``minor_sell``
``vzo:zero_cross``        ``zero_cross_up`` / ``zero_cross_down``
``vzo:adaptive``          ``adaptive_buy`` / ``adaptive_sell``
``vzo:adaptive_cross``    ``adaptive_cross_up`` / ``adaptive_cross_down``
``spectral:turns``        the composite cycle turning up (1) or down (-1)
``ma:cross``              the close crossing its moving average
``cycle:cross``           the close crossing the cycle-adaptive moving average
``celestial:cross``       the close crossing a celestial channel level
========================  ===============================================================

All of them are causal: each flag is set on the bar whose close shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from uptrade.errors import SignalError
from uptrade.indicators.registry import get_indicator
from uptrade.signals import rules
from uptrade.signals.conventions import as_signal, from_flags

#: A rule reading a signal from named outputs (``get(column)`` returns that output's array).
Rule: TypeAlias = Callable[[Callable[[str], Any]], np.ndarray]


@dataclass(frozen=True)
class Adapter:
    """How ``indicator:kind`` reads its signal: two flag columns, or a rule over the outputs."""

    indicator: str
    kind: str
    buy: str | None = None
    sell: str | None = None
    description: str = ""
    rule: Rule | None = None

    @property
    def name(self) -> str:
        return f"{self.indicator}:{self.kind}"


_TABLE = (
    Adapter("sniper", "major", "major_buy", "major_sell", "major buy/sell (the spec's signal)"),
    Adapter("sniper", "minor", "minor_buy", "minor_sell", "minor buy/sell"),
    Adapter("sniper", "trail", "buy_trail", "sell_trail", "trail turns beyond trail_threshold"),
    Adapter("sniper", "adaptive", "adaptive_cross_up", "adaptive_cross_down", "f3 crossing its adaptive zones"),
    Adapter("vzo", "major", "major_buy", "major_sell", "major buy/sell (the spec's signal)"),
    Adapter("vzo", "minor", "minor_buy", "minor_sell", "minor buy/sell"),
    Adapter("vzo", "zero_cross", "zero_cross_up", "zero_cross_down", "filtered zero crosses"),
    Adapter("vzo", "adaptive", "adaptive_buy", "adaptive_sell", "turns beyond the adaptive zones"),
    Adapter("vzo", "adaptive_cross", "adaptive_cross_up", "adaptive_cross_down", "crosses of the adaptive zones"),
    Adapter(
        "spectral",
        "turns",
        description="the composite cycle turning",
        rule=lambda get: rules.turns(_floats(get("composite"))),
    ),
    Adapter(
        "ma",
        "cross",
        description="the close crossing its moving average",
        rule=lambda get: rules.line_cross(_floats(get("close")), _floats(get("ma"))),
    ),
    Adapter(
        "cycle",
        "cross",
        description="the close crossing the cycle-adaptive moving average",
        rule=lambda get: rules.line_cross(_floats(get("close")), _floats(get("ma"))),
    ),
    Adapter(
        "celestial",
        "cross",
        description="the close crossing a channel level",
        rule=lambda get: rules.channel_cross(_floats(get("close")), _floats(get("below")), _floats(get("above"))),
    ),
)
ADAPTERS: dict[str, Adapter] = {a.name: a for a in _TABLE}
#: The kind used when a source names only the indicator.
DEFAULT_KIND = {
    "sniper": "major",
    "vzo": "major",
    "spectral": "turns",
    "ma": "cross",
    "cycle": "cross",
    "celestial": "cross",
}


def _floats(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def parse_source(source: str) -> Adapter:
    """The adapter for ``indicator[:kind]``; ``SignalError`` listing the valid names otherwise."""
    text = str(source).strip().lower()
    indicator, _, kind = text.partition(":")
    key = f"{indicator}:{kind or DEFAULT_KIND.get(indicator, '')}"
    if key not in ADAPTERS:
        raise SignalError(f"signal source {source!r}: unknown; choose one of {', '.join(ADAPTERS)}")
    return ADAPTERS[key]


def adapt(outputs: pd.DataFrame | Any, source: str | Adapter) -> pd.Series | Any:
    """The int8 signal of ``source`` from an indicator's outputs (a DataFrame or a result NamedTuple)."""
    adapter = source if isinstance(source, Adapter) else parse_source(source)
    get = outputs.__getitem__ if isinstance(outputs, pd.DataFrame) else lambda c: getattr(outputs, c)
    try:
        if adapter.rule is not None:
            sig = as_signal(adapter.rule(get), adapter.name)
        else:
            sig = from_flags(get(adapter.buy), get(adapter.sell), adapter.name)
    except (KeyError, AttributeError) as exc:
        raise SignalError(f"{adapter.name}: the outputs lack column {exc}; are they {adapter.indicator}'s?") from None
    if isinstance(outputs, pd.DataFrame):
        return pd.Series(sig, index=outputs.index, name=adapter.name)
    return sig


def indicator_frame(candles: pd.DataFrame, indicator: str, **params: Any) -> pd.DataFrame:
    """``close``, the indicator's outputs, its default ``signal`` and the ``value`` stored beside it.

    This is what ``indicators run`` shows and stores in ``indicator_signals``.
    """
    info = get_indicator(indicator)
    out = info.outputs(candles, **params)
    out.insert(0, "close", candles["close"].to_numpy())
    out["signal"] = adapt(out, parse_source(info.name)).to_numpy()
    out["value"] = out[info.value]
    return out


def compute_signal(candles: pd.DataFrame, source: str, **params: Any) -> pd.Series:
    """Run the source's indicator on ``candles`` with ``params`` and return its int8 signal."""
    adapter = parse_source(source)
    outputs = get_indicator(adapter.indicator).outputs(candles, **params)
    if "close" not in outputs:
        outputs.insert(0, "close", candles["close"].to_numpy())
    return adapt(outputs, adapter)
