"""The combined signal of a bot, bar by bar: what :func:`uptrade.research.run.combined_signal` gives
on the whole series, computed one closed bar at a time.

Per source, the indicator's streaming state (:class:`~uptrade.indicators.sniper.SniperProXStream`,
:class:`~uptrade.indicators.vzo.VZOProXStream`, :class:`~uptrade.indicators.cycle_ma.CycleMAStream`,
:class:`~uptrade.indicators.ma.MovingAverageStream`) turns the bar into that bar's outputs; the
source's adapter (:func:`uptrade.signals.adapters.adapt`, the batch's own code) reads its signal
from the last few bars of outputs (flags need the bar alone, the rules of
:mod:`uptrade.signals.rules` at most the two bars before); the sources' last signals then go
through the batch's :func:`~uptrade.signals.combine.combine` on a window as long as it looks back
(``confirm``: ``confirm_window`` bars; the other modes: the bar alone). No rule is written twice,
so the stream equals the batch bar for bar: exactly for SniperProX, VZOProX and the cycle MA
(their batch is the same per-bar machine), and for ``ma:cross`` up to the last-digit differences
of the TA-Lib-referenced MA types (~1e-12), which matter only for a close equal to its average.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from uptrade.errors import ConfigError, ParameterError, SignalError
from uptrade.indicators.cycle_ma import CycleMAStream
from uptrade.indicators.ma import MovingAverageStream, ma_type_of
from uptrade.indicators.registry import get_indicator
from uptrade.indicators.sniper import SniperProXStream
from uptrade.indicators.vzo import VZOProXStream
from uptrade.research.config import SignalsConfig
from uptrade.signals.adapters import Adapter, adapt, parse_source
from uptrade.signals.combine import combine

#: Bars the rules of :mod:`uptrade.signals.rules` look at (``turns``: this bar and the two before).
RULE_BARS = 3
#: Bar fields a source may read.
BAR_FIELDS = ("open", "high", "low", "close", "volume")

Update = Callable[[Mapping[str, float]], Mapping[str, Any]]


def _ma_updater(params: dict[str, Any]) -> Update:
    """``ma``'s streaming state as ``bar -> {"ma": value}`` (the registry's batch inputs: close, hl, volume)."""
    p = get_indicator("ma").model.of(params)
    t = ma_type_of(p.ma_type)  # type: ignore[attr-defined]
    stream = MovingAverageStream(p.window, t.code, phase=p.phase, power=p.power)  # type: ignore[attr-defined]

    def update(bar: Mapping[str, float]) -> Mapping[str, Any]:
        return {
            "ma": stream.update(
                bar["close"],
                high=bar["high"] if t.uses_hl else None,
                low=bar["low"] if t.uses_hl else None,
                volume=bar["volume"] if t.needs_volume else None,
            )
        }

    return update


def source_updater(indicator: str, params: dict[str, Any]) -> Update:
    """The streaming state of ``indicator`` with ``params``, as ``bar -> that bar's outputs``."""
    if indicator == "sniper":
        return SniperProXStream(**params).update
    if indicator == "vzo":
        return VZOProXStream(**params).update
    if indicator == "cycle":
        return CycleMAStream(**params).update
    if indicator == "ma":
        return _ma_updater(params)
    raise ConfigError(f"signals.sources: {indicator} has no streaming form; a bot's sources use sniper, vzo, cycle, ma")


class SourceStream:
    """One source: its indicator's streaming state and its adapter over the last bars of outputs."""

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        self.adapter: Adapter = parse_source(name)
        self.name = self.adapter.name
        try:
            self._update = source_updater(self.adapter.indicator, params)
        except (ParameterError, SignalError) as exc:
            raise ConfigError(f"{name} {params}: {exc}") from None
        self._bars = 1 if self.adapter.rule is None else RULE_BARS
        self._outputs: dict[str, deque[float]] = {}

    def update(self, bar: Mapping[str, float]) -> int:
        """This source's signal on ``bar`` (the batch adapter on the last bars of outputs)."""
        out = self._update(bar)
        if not self._outputs:  # flags: the two the adapter reads; a rule may read any output and the close
            a = self.adapter
            names = [a.buy, a.sell] if a.rule is None else [*out, *(() if "close" in out else ("close",))]
            self._outputs = {str(k): deque(maxlen=self._bars) for k in names}
        for key, column in self._outputs.items():
            column.append(bar["close"] if key == "close" and key not in out else out[key])
        window = SimpleNamespace(**{k: np.asarray(v) for k, v in self._outputs.items()})
        return int(adapt(window, self.adapter)[-1])


class SignalStream:
    """The bot's combined signal, one closed bar at a time (module docstring)."""

    def __init__(self, signals: SignalsConfig) -> None:
        self.config = signals
        self.sources = [SourceStream(name, params) for name, params in signals.sources.items()]
        self._combine = signals.combine.model_dump()
        bars = int(signals.combine.confirm_window) if signals.combine.mode == "confirm" else 1
        self._window: dict[str, deque[int]] = {s.name: deque(maxlen=bars) for s in self.sources}
        #: Each source's signal on the last bar.
        self.last: dict[str, int] = {}
        self.bars = 0

    def update(self, bar: Mapping[str, float]) -> int:
        """The combined signal (-1, 0, 1) on ``bar`` (a mapping of ``high, low, close, volume``)."""
        for source in self.sources:
            self.last[source.name] = value = source.update(bar)
            self._window[source.name].append(value)
        self.bars += 1
        window = {name: np.fromiter(values, dtype=np.int8, count=len(values)) for name, values in self._window.items()}
        return int(combine(window, **self._combine)[-1])


__all__ = ["BAR_FIELDS", "RULE_BARS", "SignalStream", "SourceStream", "source_updater"]
