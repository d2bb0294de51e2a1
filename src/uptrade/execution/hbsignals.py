"""The signal code of the Hummingbot controllers: candle arrays and plain parameters in, int8 signal out.

Each ``uptrade_*`` controller runs :func:`combined_signal` on its candle feed (one source for
``uptrade_sniper``, ``uptrade_vzo`` and ``uptrade_cycle``, several for ``uptrade_combined``),
checks its parameters with :func:`param_problem` and :func:`combine_problem`, and acts live on
:func:`live_signal`. ``uptrade hb bundle`` copies this module, and everything it calls, into each
controller file (:mod:`uptrade.execution.bundle`): so it uses only NumPy, the standard library,
UpTrade's numba kernels and the arithmetic of :mod:`uptrade.signals.core`. The tables below are
computed from the package (the MA types, the adapters, the parameter models) and written into the
bundle as literals. A source's signal here equals :func:`uptrade.signals.compute_signal`'s on the
same candles and parameters (``tests/test_bundle.py``): the kernels are the same, and the glue
below repeats what the indicator wrappers and the adapters do around them.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

from uptrade.indicators.cycle_ma import cycle_length
from uptrade.indicators.ma import MA_TYPES
from uptrade.indicators.nb.cycle import cycle_ma_nb
from uptrade.indicators.nb.ma_batch import ma_1d_nb
from uptrade.indicators.nb.osc_common import pack
from uptrade.indicators.nb.sniper import BOOLS as SNIPER_BOOLS
from uptrade.indicators.nb.sniper import FLOATS as SNIPER_FLOATS
from uptrade.indicators.nb.sniper import PARAMS as SNIPER_PARAMS
from uptrade.indicators.nb.sniper import sniper_nb
from uptrade.indicators.nb.spectral import dominant_goertzel_nb
from uptrade.indicators.nb.vzo import BOOLS as VZO_BOOLS
from uptrade.indicators.nb.vzo import FLOATS as VZO_FLOATS
from uptrade.indicators.nb.vzo import PARAMS as VZO_PARAMS
from uptrade.indicators.nb.vzo import vzo_nb
from uptrade.indicators.registry import get_indicator
from uptrade.indicators.spectral import dominant_cycle_rolling, period_grid
from uptrade.signals.adapters import ADAPTERS, DEFAULT_KIND
from uptrade.signals.combine import MODES
from uptrade.signals.core import combine_and, combine_confirm, combine_or, combine_weighted, flags_signal
from uptrade.signals.rules import line_cross

#: The indicators a controller can run (each with numba and NumPy only).
INDICATORS = ("sniper", "vzo", "cycle", "ma")
#: Every MA name and alias (lower case) -> its code.
MA_CODES = {key.lower(): t.code for t in MA_TYPES for key in (t.name, *t.aliases)}
#: Per MA code: its name, shortest window, whether it reads high/low, whether it needs volume.
MA_TITLES = tuple(t.name for t in MA_TYPES)
MA_MIN_WINDOW = tuple(t.min_window for t in MA_TYPES)
MA_USES_HL = tuple(t.uses_hl for t in MA_TYPES)
MA_NEEDS_VOLUME = tuple(t.needs_volume for t in MA_TYPES)
#: The signal kinds of each indicator, and the kind a bare indicator name means.
KINDS = {name: tuple(a.kind for a in ADAPTERS.values() if a.indicator == name) for name in INDICATORS}
DEFAULT_KINDS = {name: DEFAULT_KIND[name] for name in INDICATORS}
#: The buy and sell flags of the flag-reading kinds (the oscillators').
FLAGS = {a.name: (a.buy, a.sell) for a in ADAPTERS.values() if a.indicator in INDICATORS and a.buy and a.sell}
#: Each indicator's parameter names (its UpTrade model's fields, in order).
PARAM_NAMES = {name: tuple(get_indicator(name).model.model_fields) for name in INDICATORS}
#: The candle columns each indicator reads.
INPUTS = {"sniper": ("high", "low", "close", "volume"), "vzo": ("close", "volume")}
#: The combiner modes.
COMBINE_MODES = tuple(MODES)
#: Grid density of the dominant-cycle scan behind ``cycle`` (``dominant_cycle_rolling``'s default).
CYCLE_POINTS_PER_OCTAVE = inspect.signature(dominant_cycle_rolling).parameters["points_per_octave"].default


def ma_code(value: object, name: str = "ma_type") -> int:
    """The code of an MA type given as a code, a digit string or a (case-insensitive) name or alias."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= int(value) < len(MA_TITLES):
            return int(value)
        raise ValueError(f"{name}: unknown code {value}; valid codes are 0..{len(MA_TITLES) - 1}")
    if isinstance(value, str):
        key = value.strip().lower()
        if key in MA_CODES:
            return MA_CODES[key]
        if key.isdigit():
            return ma_code(int(key), name)
    raise ValueError(f"{name}: unknown type {value!r}; give a code 0..{len(MA_TITLES) - 1} or a name such as ema")


def _ma_problem(name: str, value: object, windows: tuple[int, ...], volume: bool) -> str | None:
    """Why MA type ``value`` cannot smooth with ``windows`` (``volume``: the input has a volume), or None."""
    try:
        code = ma_code(value, name)
    except ValueError as exc:
        return str(exc)
    if MA_NEEDS_VOLUME[code] and not volume:
        return f"{name}: {MA_TITLES[code]} needs volume and cannot smooth an oscillator"
    for w in windows:
        if w < MA_MIN_WINDOW[code]:
            return f"{name}: {MA_TITLES[code]} needs windows >= {MA_MIN_WINDOW[code]}, and this indicator uses {w}"
    return None


def _sniper_problem(p: Mapping[str, Any]) -> str | None:
    return _ma_problem("ma_type", p["ma_type"], (3, 5, int(p["length"])), False) or _ma_problem(
        "dmi_ma_type", p["dmi_ma_type"], (int(p["dmi_len"]),), False
    )


def _vzo_problem(p: Mapping[str, Any]) -> str | None:
    return _ma_problem("ma_type", p["ma_type"], (int(p["vzo_length"]), int(p["noise_length"])), False)


def _ma_window_problem(p: Mapping[str, Any]) -> str | None:
    try:
        code = ma_code(p["ma_type"])
    except ValueError as exc:
        return str(exc)
    if int(p["window"]) < MA_MIN_WINDOW[code]:
        return f"window: must be >= {MA_MIN_WINDOW[code]} for {MA_TITLES[code]}, got {p['window']}"
    return None


def _cycle_problem(p: Mapping[str, Any]) -> str | None:
    lo, hi, window = int(p["min_period"]), int(p["max_period"]), int(p["window"])
    if not lo < hi:
        return f"max_period: must be greater than min_period ({lo}), got {hi}"
    if 2 * hi > window:
        return f"max_period: must be <= window / 2 ({window // 2}), got {hi}"
    return _ma_problem("ma_type", p["ma_type"], (lo,), True)


def param_problem(indicator: str, params: Mapping[str, Any]) -> str | None:
    """The first cross-field problem of an indicator's parameters (the rules of its UpTrade model), or None.

    Names, types and ranges are checked by the fields; these are the rules between fields.
    """
    if indicator == "sniper":
        return _sniper_problem(params)
    if indicator == "vzo":
        return _vzo_problem(params)
    if indicator == "ma":
        return _ma_window_problem(params)
    if indicator == "cycle":
        return _cycle_problem(params)
    return f"indicator: {indicator!r} is not one of {', '.join(INDICATORS)}"


def source_problem(source: str) -> str | None:
    """Why ``source`` is not an ``indicator:kind`` a controller runs, or None."""
    indicator, _, kind = source.partition(":")
    if indicator not in KINDS:
        return f"{source}: the indicator must be one of {', '.join(INDICATORS)}"
    if kind not in KINDS[indicator]:
        return f"{source}: {indicator}'s signal kinds are {', '.join(KINDS[indicator])}"
    return None


def combine_problem(
    names: list[str],
    mode: str,
    weights: Mapping[str, float] | None,
    threshold: float,
    primary: str | None,
    confirm_window: int,
) -> str | None:
    """Why these combiner settings do not fit the sources ``names`` (the checks of ``combine``), or None."""
    problems = []
    if mode not in COMBINE_MODES:
        problems.append(f"mode: must be one of {', '.join(COMBINE_MODES)}, got {mode!r}")
    for name, w in (weights or {}).items():
        if not (math.isfinite(w) and w >= 0.0):
            problems.append(f"weights: {name} must be a finite number >= 0, got {w!r}")
        elif mode == "weighted" and name not in names:
            problems.append(f"weights: unknown signal {name!r}; have {', '.join(names)}")
    if mode == "weighted" and not 0.0 < threshold <= 1.0:
        problems.append(f"threshold: must be in (0, 1], got {threshold!r}")
    if mode == "weighted" and not sum(float((weights or {}).get(n, 1.0)) for n in names) > 0.0:
        problems.append("weights: their sum must be positive")
    if mode == "confirm" and primary is None:
        problems.append("primary: confirm mode needs the name of the primary signal")
    elif mode == "confirm" and primary not in names:
        problems.append(f"primary: unknown signal {primary!r}; have {', '.join(names)}")
    if mode == "confirm" and confirm_window < 1:
        problems.append(f"confirm_window: must be an integer >= 1, got {confirm_window!r}")
    return problems[0] if problems else None


def candle_arrays(frame: Any) -> dict[str, np.ndarray]:
    """``timestamp``, ``open``, ``high``, ``low``, ``close`` and ``volume`` of a candle frame as float64 arrays."""
    cols = ("timestamp", "open", "high", "low", "close", "volume")
    return {c: np.ascontiguousarray(np.asarray(frame[c], dtype=np.float64)) for c in cols}


def _oscillator_flags(
    kernel: Any, p: np.ndarray, inputs: tuple[np.ndarray, ...], floats: int, bools: int
) -> np.ndarray:
    """The boolean outputs (``bools`` rows) of an oscillator's batch kernel."""
    n = inputs[0].shape[0]
    if n == 0:
        return np.zeros((bools, 0), dtype=np.bool_)
    fo = np.empty((floats, n))
    bo = np.empty((bools, n), dtype=np.bool_)
    sig = np.empty(n, dtype=np.int8)
    kernel(p, *inputs, fo, bo, sig)
    return bo


def sniper_signal(params: Mapping[str, Any], kind: str, candles: Mapping[str, np.ndarray]) -> np.ndarray:
    """``sniper:<kind>`` of the candles (SniperProX's flags as its adapter reads them)."""
    values = {**params, "ma_type": ma_code(params["ma_type"]), "dmi_ma_type": ma_code(params["dmi_ma_type"])}
    p = pack(SNIPER_PARAMS, values)
    inputs = tuple(candles[c] for c in INPUTS["sniper"])
    bo = _oscillator_flags(sniper_nb, p, inputs, len(SNIPER_FLOATS), len(SNIPER_BOOLS))
    buy, sell = FLAGS[f"sniper:{kind}"]
    return flags_signal(bo[SNIPER_BOOLS.index(buy)], bo[SNIPER_BOOLS.index(sell)])


def vzo_signal(params: Mapping[str, Any], kind: str, candles: Mapping[str, np.ndarray]) -> np.ndarray:
    """``vzo:<kind>`` of the candles (VZOProX's flags as its adapter reads them)."""
    p = pack(VZO_PARAMS, {**params, "ma_type": ma_code(params["ma_type"])})
    inputs = tuple(candles[c] for c in INPUTS["vzo"])
    bo = _oscillator_flags(vzo_nb, p, inputs, len(VZO_FLOATS), len(VZO_BOOLS))
    buy, sell = FLAGS[f"vzo:{kind}"]
    return flags_signal(bo[VZO_BOOLS.index(buy)], bo[VZO_BOOLS.index(sell)])


def ma_signal(params: Mapping[str, Any], candles: Mapping[str, np.ndarray]) -> np.ndarray:
    """``ma:cross``: the close crossing its moving average."""
    code = ma_code(params["ma_type"])
    close = candles["close"]
    hi = candles["high"] if MA_USES_HL[code] else close
    lo = candles["low"] if MA_USES_HL[code] else close
    vol = candles["volume"] if MA_NEEDS_VOLUME[code] else close
    phase, power = float(params["phase"]), float(params["power"])
    ma = ma_1d_nb(code, close, int(params["window"]), phase, power, hi, lo, vol, np.empty_like(close))
    return line_cross(close, ma)


def cycle_signal(params: Mapping[str, Any], candles: Mapping[str, np.ndarray]) -> np.ndarray:
    """``cycle:cross``: the close crossing the MA whose length is the rolling dominant cycle of hl2."""
    code = ma_code(params["ma_type"])
    lo, hi, window = int(params["min_period"]), int(params["max_period"]), int(params["window"])
    high, low, close = candles["high"], candles["low"], candles["close"]
    grid = period_grid(float(lo), float(hi), CYCLE_POINTS_PER_OCTAVE, window)
    hl2 = np.ascontiguousarray((high + low) / 2.0)
    period, _ = dominant_goertzel_nb(hl2, grid, window, True, True, window, False)
    # cycle_length reads only these two fields of the parameters
    length = cycle_length(period, SimpleNamespace(min_period=lo, max_period=hi))  # type: ignore[arg-type]
    vol = candles["volume"] if MA_NEEDS_VOLUME[code] else close
    h = high if MA_USES_HL[code] else close
    lw = low if MA_USES_HL[code] else close
    phase, power = float(params["phase"]), float(params["power"])
    ma = cycle_ma_nb(code, lo, hi, phase, power, close, h, lw, vol, length)
    return line_cross(close, ma)


def source_signal(source: str, params: Mapping[str, Any], candles: Mapping[str, np.ndarray]) -> np.ndarray:
    """The int8 signal of one source (``indicator:kind``) on the candles."""
    indicator, _, kind = source.partition(":")
    if indicator == "sniper":
        return sniper_signal(params, kind, candles)
    if indicator == "vzo":
        return vzo_signal(params, kind, candles)
    if indicator == "cycle":
        return cycle_signal(params, candles)
    if indicator == "ma":
        return ma_signal(params, candles)
    raise ValueError(f"{source}: the indicator must be one of {', '.join(INDICATORS)}")


def combined_signal(
    sources: Mapping[str, Mapping[str, Any]],
    candles: Mapping[str, np.ndarray],
    mode: str = "and",
    weights: Mapping[str, float] | None = None,
    threshold: float = 0.5,
    primary: str | None = None,
    confirm_window: int = 3,
) -> np.ndarray:
    """The sources' signals combined as ``uptrade.signals.combine`` does (one source: its own signal)."""
    names = list(sources)
    n = candles["close"].shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    s = np.vstack([source_signal(name, sources[name], candles) for name in names])
    if mode == "and":
        return combine_and(s)
    if mode == "or":
        return combine_or(s)
    if mode == "weighted":
        w = np.array([float((weights or {}).get(name, 1.0)) for name in names])
        return combine_weighted(s, w, float(threshold))
    if mode == "confirm":
        return combine_confirm(s, names.index(str(primary)), int(confirm_window))
    raise ValueError(f"mode: must be one of {', '.join(COMBINE_MODES)}, got {mode!r}")


def live_signal(
    timestamps: np.ndarray, signal: np.ndarray, now: float, interval: float, offered: float | None
) -> tuple[int, float | None]:
    """The signal to act on at ``now`` and the newest closed bar (its open time, seconds) seen so far.

    A bar counts once it has closed (``timestamp + interval <= now``; the feed's last row is
    usually the bar still forming). Its signal is acted on once, on the first tick after its close,
    as a backtest enters at that bar's close; later ticks of the same bar give 0. On the first call
    (``offered`` None) the newest closed bar is only recorded: a controller started mid-bar does
    not act on a bar that closed before it started.
    """
    closed = np.flatnonzero(timestamps + interval <= now)
    if closed.size == 0:
        return 0, offered
    i = int(closed[-1])
    ts = float(timestamps[i])
    if offered is None or ts <= offered:
        return 0, ts if offered is None else offered
    return int(signal[i]), ts


__all__ = [
    "COMBINE_MODES",
    "CYCLE_POINTS_PER_OCTAVE",
    "DEFAULT_KINDS",
    "FLAGS",
    "INDICATORS",
    "INPUTS",
    "KINDS",
    "MA_CODES",
    "PARAM_NAMES",
    "candle_arrays",
    "combine_problem",
    "combined_signal",
    "cycle_signal",
    "live_signal",
    "ma_code",
    "ma_signal",
    "param_problem",
    "sniper_signal",
    "source_problem",
    "source_signal",
    "vzo_signal",
]
