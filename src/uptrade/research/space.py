"""Parameter spaces for ``uptrade optimize``: the grid syntax, names, grid and random points.

A space is a list of dimensions, written ``name=values`` and separated by commas:
``length=20:60:4,stop_loss=0.01,0.02,0.03``. A token without ``=`` is one more value of the
dimension before it. Values are

- ``a:b:step``: every value from ``a`` to ``b`` inclusive (exact decimal steps, so
  ``0.01:0.03:0.01`` is ``0.01, 0.02, 0.03``, not ``0.030000000000000002``);
- ``a:b``: the continuous range, for random search only (integers when both ends are);
- a list of numbers, words (``jma``) or ``none`` (a barrier switched off).

Names are resolved against the backtest config: an executor field (``stop_loss``,
``take_profit``, ``time_limit``, ``cooldown_time``, ``max_executors_per_side``,
``total_amount_quote``, ``trade_cost``, ``activation_price``, ``trailing_delta``), a combiner
field (``confirm_window``, ``threshold``, ``mode``, ``primary``), or an indicator parameter of one
of the config's sources. ``SOURCE.param`` (``sniper:minor.length``, or ``sniper.length`` when one
source uses that indicator; the syntax of :mod:`uptrade.signals.params`, shared with ``signals run
-p``), ``executor.x`` and ``combine.x`` say which one explicitly; a bare name that fits more than
one is refused with the candidates, an unknown one with the closest valid names. Every error is a :class:`ConfigError`
naming the dimension, with ``param="grid"`` (the CLI's ``--grid``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeAlias

import numpy as np
from pydantic import ValidationError

from uptrade.errors import ConfigError, ParameterError, UpTradeError, did_you_mean
from uptrade.indicators.params import text_value
from uptrade.indicators.registry import get_indicator
from uptrade.research.config import BacktestConfig, ExecutorConfig, first_error, source_params
from uptrade.signals.adapters import parse_source
from uptrade.signals.params import resolve_param, sources_with

EXECUTOR_FIELDS = tuple(f for f in ExecutorConfig.model_fields if f != "trailing_stop")
TRAILING_FIELDS = ("activation_price", "trailing_delta")
COMBINE_FIELDS = ("mode", "threshold", "confirm_window", "primary")
#: Refuse grids that would take hours before they start (random search samples larger spaces).
MAX_GRID_POINTS = 1_000_000
#: Where a dimension's value goes: an indicator source, the combiner, the executor or its trailing stop.
Target: TypeAlias = Literal["source", "combine", "executor", "trailing"]


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: where it goes, and its values (or continuous range)."""

    name: str
    target: Target
    field: str
    source: str | None = None
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    @property
    def continuous(self) -> bool:
        return self.low is not None


def _grid_error(message: str) -> ConfigError:
    """An error about the grid text (``param="grid"``)."""
    return ConfigError(message, param="grid")


def _number(text: str) -> Decimal | None:
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def _scalar(text: str) -> Any:
    low = text.strip().lower()
    if low in ("none", "null", "off"):
        return None
    d = _number(text.strip())
    if d is None:
        return text.strip()
    return int(d) if d == d.to_integral_value() and "." not in text and "e" not in low else float(d)


def _tokens(spec: str) -> list[tuple[str, list[str]]]:
    dims: list[tuple[str, list[str]]] = []
    for raw in spec.split(","):
        token = raw.strip()
        if not token:
            continue
        name, sep, value = token.partition("=")
        if sep:
            if not name.strip():
                raise _grid_error(f"{token!r}: a dimension needs a name before '='")
            dims.append((name.strip(), [value.strip()] if value.strip() else []))
        elif not dims:
            raise _grid_error(f"{token!r}: expected name=values first, e.g. length=20:60:4")
        else:
            dims[-1][1].append(token)
    return dims


def _values(
    name: str, parts: list[str], typed: Callable[[str], Any] = _scalar
) -> tuple[tuple[Any, ...], float | None, float | None, bool]:
    """A dimension's values (or continuous range) from its text; ``typed`` reads one listed value."""
    if not parts:
        raise _grid_error(f"{name}: no values given")
    if len(parts) == 1 and parts[0].count(":") in (1, 2):
        bits = parts[0].split(":")
        parsed = [_number(b.strip()) for b in bits]
        nums = [n for n in parsed if n is not None]
        if len(nums) == len(parsed):
            a, b = nums[0], nums[1]
            integer = all(n == n.to_integral_value() and "." not in s for n, s in zip(nums, bits, strict=True))
            if b < a:
                raise _grid_error(f"{name}={parts[0]}: the end is below the start")
            if len(nums) == 2:
                return (), float(a), float(b), integer
            step = nums[2]
            if step <= 0:
                raise _grid_error(f"{name}={parts[0]}: the step must be positive")
            count = int((b - a) / step) + 1
            if count > MAX_GRID_POINTS:
                raise _grid_error(f"{name}={parts[0]}: {count:,} values; use a larger step")
            points = [a + i * step for i in range(count)]
            return tuple(int(v) if integer else float(v) for v in points), None, None, integer
    try:
        vals = tuple(typed(p) for p in parts)
    except UpTradeError as exc:
        raise _grid_error(str(exc)) from None
    if len(set(map(repr, vals))) != len(vals):
        raise _grid_error(f"{name}: a value is given twice")
    return vals, None, None, False


def _resolve(name: str, cfg: BacktestConfig) -> tuple[Target, str, str | None]:
    """(target, field, source) of a dimension name in ``cfg``.

    Indicator parameters are read by :func:`uptrade.signals.params.resolve_param` (``SOURCE.param``,
    the same syntax as ``signals run -p``); ``executor.x`` and ``combine.x`` name the other fields.
    """
    sources = list(cfg.signals.sources)
    head, dot, field = name.rpartition(".")
    if dot:
        if head == "executor":
            if field in EXECUTOR_FIELDS:
                return "executor", field, None
            if field in TRAILING_FIELDS:
                return "trailing", field, None
            valid = (*EXECUTOR_FIELDS, *TRAILING_FIELDS)
            raise _grid_error(f"{name}: the executor has no field {field!r}; {did_you_mean(field, valid)}")
        if head == "combine":
            if field in COMBINE_FIELDS:
                return "combine", field, None
            raise _grid_error(f"{name}: the combiner has no field {field!r}; {did_you_mean(field, COMBINE_FIELDS)}")
        try:
            source, field = resolve_param(name, sources)
        except ParameterError as exc:
            raise _grid_error(str(exc)) from None
        return "source", field, source
    found: list[tuple[Target, str, str | None]] = []
    if name in EXECUTOR_FIELDS:
        found.append(("executor", name, None))
    if name in TRAILING_FIELDS:
        found.append(("trailing", name, None))
    if name in COMBINE_FIELDS:
        found.append(("combine", name, None))
    found += [("source", name, key) for key in sources_with(name, sources)]
    if not found:
        known = sorted(
            {*EXECUTOR_FIELDS, *TRAILING_FIELDS, *COMBINE_FIELDS}
            | {p for key in sources for p in get_indicator(parse_source(key).indicator).params}
        )
        raise _grid_error(f"{name}: no such parameter; {did_you_mean(name, known)}")
    if len(found) > 1:
        options = [f"{src}.{f}" if src else f"{t if t != 'trailing' else 'executor'}.{f}" for t, f, src in found]
        raise _grid_error(f"{name}: ambiguous, write one of {', '.join(options)}")
    return found[0]


class ParamSpace:
    """Dimensions parsed from grid text and resolved against a backtest config."""

    def __init__(self, dims: list[Dimension], cfg: BacktestConfig) -> None:
        if not dims:
            raise _grid_error("grid: give at least one dimension, e.g. length=20:60:4")
        self.dims = dims
        self.cfg = cfg

    @classmethod
    def parse(cls, specs: str | list[str], cfg: BacktestConfig) -> ParamSpace:
        """Parse one or more grid strings for ``cfg``."""
        dims: list[Dimension] = []
        seen: set[tuple[str, str, str | None]] = set()
        for spec in [specs] if isinstance(specs, str) else specs:
            for name, parts in _tokens(spec):
                target, field, source = _resolve(name, cfg)
                if (target, field, source) in seen:
                    raise _grid_error(f"{name}: given twice")
                seen.add((target, field, source))
                values, low, high, integer = _values(name, parts, _reader(cfg, target, field, source))
                dims.append(Dimension(name, target, field, source, values, low, high, integer))
        space = cls(dims, cfg)
        space.check(space.first_point())
        return space

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dims]

    @property
    def grid_size(self) -> int | None:
        """Number of grid points, or None when a dimension is continuous."""
        if any(d.continuous for d in self.dims):
            return None
        return math.prod(len(d.values) for d in self.dims)

    def first_point(self) -> dict[str, Any]:
        return {d.name: (d.values[0] if not d.continuous else d.low) for d in self.dims}

    def grid(self) -> list[dict[str, Any]]:
        """Every combination, the last dimension varying fastest."""
        size = self.grid_size
        if size is None:
            cont = [d.name for d in self.dims if d.continuous]
            raise _grid_error(f"{cont[0]}: a:b is a range for random search; a grid needs a:b:step or a list")
        if size > MAX_GRID_POINTS:
            raise _grid_error(f"grid: {size:,} combinations (limit {MAX_GRID_POINTS:,}); sample some at random instead")
        return [
            dict(zip(self.names, combo, strict=True)) for combo in itertools.product(*(d.values for d in self.dims))
        ]

    def sample(self, n: int, seed: int = 0) -> list[dict[str, Any]]:
        """``n`` random points (distinct grid points while the grid has that many), reproducible by ``seed``."""
        if n < 1:
            raise ConfigError(f"random: must be >= 1, got {n}", param="random")
        rng = np.random.default_rng(seed)
        size = self.grid_size
        if size is not None:
            points = []
            for flat in rng.choice(size, size=min(n, size), replace=False):
                point, rest = {}, int(flat)
                for d in reversed(self.dims):
                    rest, k = divmod(rest, len(d.values))
                    point[d.name] = d.values[k]
                points.append({name: point[name] for name in self.names})
            return points
        out = []
        for _ in range(n):
            point = {}
            for d in self.dims:
                if d.continuous:
                    if d.low is None or d.high is None:
                        raise _grid_error(f"{d.name}: a range needs both ends")
                    lo, hi = float(d.low), float(d.high)
                    point[d.name] = int(rng.integers(int(lo), int(hi) + 1)) if d.integer else float(rng.uniform(lo, hi))
                else:
                    point[d.name] = d.values[int(rng.integers(0, len(d.values)))]
            out.append(point)
        return out

    def apply(self, point: dict[str, Any]) -> BacktestConfig:
        """The config with ``point``'s values set; ``ConfigError`` names the dimension that is invalid."""
        raw = self.cfg.model_dump()
        for d in self.dims:
            value = point[d.name]
            if d.target == "executor":
                raw["executor"][d.field] = value
            elif d.target == "trailing":
                trail = raw["executor"].get("trailing_stop") or {}
                trail[d.field] = value
                raw["executor"]["trailing_stop"] = trail
            elif d.target == "combine":
                raw["signals"]["combine"][d.field] = value
            else:
                raw["signals"]["sources"][d.source][d.field] = value
        try:
            cfg = BacktestConfig.model_validate(raw)
        except ValidationError as exc:
            raise _grid_error(f"grid: {first_error(exc)} (at {point})") from None
        return cfg

    def check(self, point: dict[str, Any]) -> None:
        """Validate one point through the config, and every value of each indicator dimension (fails fast)."""
        cfg = self.apply(point)
        for d in self.dims:
            if d.target != "source" or d.source is None:
                continue
            base = cfg.signals.sources[d.source]
            for value in d.values or (d.low, d.high):
                try:
                    source_params(d.source, {**base, d.field: value})
                except UpTradeError as exc:
                    raise _grid_error(str(exc)) from None


def _reader(cfg: BacktestConfig, target: str, field: str, source: str | None) -> Callable[[str], Any]:
    """How to read one listed value: typed by the indicator's model for a source parameter."""
    if target != "source" or source is None:
        return _scalar
    info = get_indicator(parse_source(source).indicator)
    spec = info.model.model_fields[field]
    return lambda text: text_value(spec, field, text)


def signal_key(cfg: BacktestConfig) -> str:
    """A stable key of what decides the combined signal (sources with parameters, combiner)."""
    import json

    return json.dumps(
        {"sources": cfg.signals.sources, "combine": cfg.signals.combine.model_dump()}, sort_keys=True, default=str
    )
