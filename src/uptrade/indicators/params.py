"""Indicator parameters as pydantic models: names, types, ranges and defaults, written once.

Every shell reads these models. The registry lists them, backtest YAML files and ``name=value``
pairs are checked against them when they are loaded, the optimiser types its grid values by them,
and their JSON schema (with the ranges) is what an MCP tool or a dashboard widget shows. A model
refuses unknown names and out-of-range values with a :class:`~uptrade.errors.ParameterError`
naming the parameter and the allowed range, before any candle is read.

Ranges live in the fields (``Field(ge=..., le=...)``); :meth:`IndicatorParams._checked` turns
them into the project's one-line messages (``length: must be an integer >= 1, got 0``), and
cross-field rules (an MA type's shortest window) are each model's ``after`` validator.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self, get_args

import numpy as np
from annotated_types import Ge, Le
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

from uptrade.errors import ParameterError, did_you_mean
from uptrade.indicators.ma_types import MAType, check_window, ma_type_of


def check_int(name: str, value: object, low: int | None = None) -> int:
    """``value`` as an int >= ``low`` (whole floats accepted), or a ``ParameterError`` naming ``name``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (low is not None and value < low):
        raise ParameterError(f"{name}: must be an integer >= {low}, got {value!r}")
    return int(value)


def check_float(name: str, value: object, low: float | None = None, high: float | None = None) -> float:
    """``value`` as a finite float in [low, high], or a ``ParameterError`` naming ``name``."""
    if isinstance(value, bool):
        raise ParameterError(f"{name}: must be a number, got {value!r}")
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: must be a number, got {value!r}") from None
    if not np.isfinite(v) or (low is not None and v < low) or (high is not None and v > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ParameterError(f"{name}: must be a finite number in [{lo}, {hi}], got {value!r}")
    return v


def check_ma(name: str, value: object, *windows: int, volume: bool = False) -> MAType:
    """The MA type for parameter ``name``, checked against the windows it will be used with.

    ``volume=False`` refuses the types that need a volume series (an oscillator has none).
    """
    try:
        t = ma_type_of(value)
    except ParameterError as exc:
        raise ParameterError(f"{name}: {str(exc).removeprefix('ma_type: ')}") from None
    if t.needs_volume and not volume:
        raise ParameterError(f"{name}: {t.name} needs volume and cannot smooth an oscillator")
    for w in windows:
        if w < t.min_window:
            raise ParameterError(f"{name}: {t.name} needs windows >= {t.min_window}, and this indicator uses {w}")
    return t


def _bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    low = next((m.ge for m in field.metadata if isinstance(m, Ge) and isinstance(m.ge, int | float)), None)
    high = next((m.le for m in field.metadata if isinstance(m, Le) and isinstance(m.le, int | float)), None)
    return low, high


def _kind(field: FieldInfo) -> type | None:
    """``int`` or ``float`` for a numeric field (the non-None member of a union), else None."""
    ann = field.annotation
    members = [a for a in (get_args(ann) or (ann,)) if a is not type(None)]
    return members[0] if len(members) == 1 and members[0] in (int, float) else None


def text_value(field: FieldInfo, name: str, raw: str) -> Any:
    """``raw`` text (a ``name=value`` pair, a grid token) typed like ``field`` ("5.0" is the integer 5)."""
    kind = _kind(field)
    if kind is None:
        return raw.strip()
    try:
        value = float(raw)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ParameterError(f"{name}: expected {what}, got {raw!r}") from None
    if not math.isfinite(value):
        raise ParameterError(f"{name}: expected a finite number, got {raw!r}")
    if kind is int:
        if not value.is_integer():
            raise ParameterError(f"{name}: expected an integer, got {raw!r}")
        return int(value)
    return value


class IndicatorParams(BaseModel):
    """Base of every indicator's parameter model: frozen, no unknown names, one-line errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The indicator's display name, used in messages ("SniperProX: unknown parameter(s) ...").
    title: ClassVar[str] = "indicator"

    @model_validator(mode="before")
    @classmethod
    def _checked(cls, data: Any) -> Any:
        """Unknown names and numeric fields in the project's message style (pydantic's own checks follow)."""
        if not isinstance(data, Mapping):
            return data
        fields = cls.model_fields
        unknown = sorted(set(map(str, data)) - set(fields))
        if unknown:
            hint = did_you_mean(unknown[0], tuple(fields))
            raise ParameterError(f"{cls.title}: unknown parameter(s) {', '.join(unknown)}; {hint}")
        out = dict(data)
        for name, value in data.items():
            field = fields[name]
            kind = _kind(field)
            if value is None or kind is None:
                continue
            low, high = _bounds(field)
            if kind is int:
                out[name] = check_int(name, value, None if low is None else int(low))
                if high is not None and out[name] > high:
                    raise ParameterError(f"{name}: must be an integer in [{low}, {high}], got {value!r}")
            else:
                out[name] = check_float(name, value, low, high)
        return out

    @classmethod
    def of(cls, params: Mapping[str, Any] | None = None, **more: Any) -> Self:
        """The checked parameters; a ``ParameterError`` names the first bad one."""
        try:
            return cls.model_validate({**(params or {}), **more})
        except ValidationError as exc:
            raise ParameterError(error_message(exc)) from None

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every parameter's default, in declaration order."""
        return cls().model_dump()

    @classmethod
    def known(cls, names: Iterable[object], owner: str | None = None) -> None:
        """Refuse a name the model lacks: ``name: <owner> has no such parameter; did you mean ...?``.

        The suggestion is the closest valid names (``difflib``), or the whole list when none is close.
        """
        unknown = sorted(set(map(str, names)) - set(cls.model_fields))
        if unknown:
            hint = did_you_mean(unknown[0], tuple(cls.model_fields))
            raise ParameterError(f"{unknown[0]}: {owner or cls.title} has no such parameter; {hint}")

    @classmethod
    def given(cls, params: Mapping[str, Any], owner: str | None = None) -> dict[str, Any]:
        """Only the given parameters, checked and typed (what a config or a ``name=value`` list names)."""
        cls.known(params, owner)
        return cls.of(params).model_dump(include=set(params))

    @classmethod
    def parse(cls, pairs: Mapping[str, str]) -> dict[str, Any]:
        """Text values (``name=value`` pairs) typed and checked; only the given names are returned."""
        cls.known(pairs)
        return cls.given({k: text_value(cls.model_fields[k], k, v) for k, v in pairs.items()})


def error_message(exc: ValidationError) -> str:
    """One line for a validation error: our own message when a check raised it, else ``field: msg``."""
    first = exc.errors()[0]
    err = (first.get("ctx") or {}).get("error")
    if isinstance(err, ParameterError | ValueError) and str(err):
        return str(err)
    loc = ".".join(str(x) for x in first["loc"])
    return f"{loc}: {first['msg']}" if loc else first["msg"]


def number(default: float, low: float | None = None, high: float | None = None, doc: str = "") -> Any:
    """A finite float field with an optional closed range (shown in the JSON schema)."""
    return Field(default, ge=low, le=high, allow_inf_nan=False, description=doc)


def integer(default: int, low: int | None = None, high: int | None = None, doc: str = "") -> Any:
    """An integer field with an optional closed range (shown in the JSON schema)."""
    return Field(default, ge=low, le=high, description=doc)


class SniperParams(IndicatorParams):
    """SniperProX (``INDICATORS.md`` section 2)."""

    title: ClassVar[str] = "SniperProX"

    length: int = integer(28, 1, doc="Stochastic and smoothing window (bars).")
    ma_type: str | int = Field("Jurik Moving Average", description="Smoothing MA type (code or name).")
    phase: float = number(0.0, doc="JMA/ALMA-style phase of the smoothing MA.")
    power: float = number(2.0, 0.0, doc="JMA power of the smoothing MA.")
    overbought_oversold: float = number(1.386, doc="Fisher level beyond which a turn is major.")
    trail_threshold: float = number(0.986, doc="Fisher level beyond which a trail turn counts.")
    dmi_len: int = integer(14, 2, doc="DMI/ADX window (bars).")
    dmi_ma_type: str | int = Field("RMA", description="MA type smoothing the DMI (code or name).")
    adx_thresh: float = number(20.0, doc="ADX below this is no trend (signals filtered).")
    vol_avg_len: int = integer(20, 1, doc="Volume average window (bars).")
    vol_per_thresh: float = number(50.0, doc="Volume strength (%) a signal needs.")
    data_sample: int = integer(55, 1, doc="Bars of history the adaptive zones use.")
    pcnt_above: float = number(88.0, 0.0, 100.0, doc="Percentile of the upper adaptive zone.")
    pcnt_below: float = number(88.0, 0.0, 100.0, doc="Percentile of the lower adaptive zone.")

    @model_validator(mode="after")
    def _ma_windows(self) -> Self:
        check_ma("ma_type", self.ma_type, 3, 5, self.length)
        check_ma("dmi_ma_type", self.dmi_ma_type, self.dmi_len)
        return self


class VZOParams(IndicatorParams):
    """VZOProX (``INDICATORS.md`` section 3)."""

    title: ClassVar[str] = "VZOProX"

    vzo_length: int = integer(14, 1, doc="Volume zone window (bars).")
    ma_type: str | int = Field("Jurik Moving Average", description="Smoothing MA type (code or name).")
    phase: float = number(50.0, doc="JMA/ALMA-style phase of the smoothing MA.")
    power: float = number(2.0, 0.0, doc="JMA power of the smoothing MA.")
    noise_length: int = integer(2, 1, doc="Noise filter window (bars).")
    data_sample: int = integer(55, 1, doc="Bars of history the adaptive zones use.")
    pcnt_above: float = number(80.0, 0.0, 100.0, doc="Percentile of the upper adaptive zone.")
    pcnt_below: float = number(80.0, 0.0, 100.0, doc="Percentile of the lower adaptive zone.")
    minor_sell_val: float = number(40.0, doc="Oscillator level above which a down turn is a minor sell.")
    minor_buy_val: float = number(-40.0, doc="Oscillator level below which an up turn is a minor buy.")
    minor_major_range: float = number(20.0, doc="Distance beyond the minor level that makes a turn major.")
    zero_cross_filter_range: float = number(20.0, doc="Band around zero a cross must clear.")

    @model_validator(mode="after")
    def _ma_windows(self) -> Self:
        check_ma("ma_type", self.ma_type, self.vzo_length, self.noise_length)
        return self


class MAParams(IndicatorParams):
    """The universal moving average (``INDICATORS.md`` section 1) and its close-cross signal."""

    title: ClassVar[str] = "ma"

    window: int = integer(20, 1, doc="Window (bars); some types need more (see the MA types table).")
    ma_type: str | int = Field("sma", description="One of the 34 MA types (code or name).")
    phase: float = number(0.0, doc="Phase (JMA, ALMA offset).")
    power: float = number(2.0, 0.0, doc="Power (JMA).")

    @model_validator(mode="after")
    def _window(self) -> Self:
        check_window(ma_type_of(self.ma_type), self.window)
        return self


class SpectralParams(IndicatorParams):
    """Hurst/Goertzel cycles (``INDICATORS.md`` section 4) and their composite."""

    title: ClassVar[str] = "spectral"

    method: str = Field("goertzel", description="goertzel or hurst.")
    window: int = integer(618, 3, doc="Bars in the analysis window.")
    bandwidth: float = number(0.025, 0.0, doc="Band-pass half width (below shortest period / 8).")
    cycles: str = Field("all", description="all, or Hurst cycle names / periods in bars, comma-separated.")


class CelestialParams(IndicatorParams):
    """Celestial channel levels (``INDICATORS.md`` section 6)."""

    title: ClassVar[str] = "celestial"

    body: str = Field("saturn", description="The planet whose longitude is mapped to price.")
    scaler: float = Field(16.18, gt=0, allow_inf_nan=False, description="Price units per degree.")
    base: int = integer(6, doc="Octave of the first level.")
    n_harmonics: int = integer(10, 1, doc="Number of levels.")
    mirror: int = integer(0, 0, 1, doc="1 negates the longitude term.")
    body_b: str = Field("", description="A second body: the midpoint of the two longitudes is used.")


class CycleParams(IndicatorParams):
    """The cycle-adaptive moving average: an MA whose length is the rolling dominant cycle.

    At each bar the dominant period of the last ``window`` bars of hl2 (sliding Goertzel, as
    ``uptrade cycles``) is rounded to whole bars and clamped to [``min_period``, ``max_period``];
    the output is the MA of that length (every candidate length is kept current).
    """

    title: ClassVar[str] = "cycle"

    window: int = integer(128, 16, 2000, doc="Bars the dominant-cycle scan looks at.")
    min_period: int = integer(8, 3, doc="Shortest cycle (and MA length) in bars.")
    max_period: int = integer(48, 4, doc="Longest cycle (and MA length) in bars; <= window / 2.")
    ma_type: str | int = Field("ema", description="MA type whose length follows the cycle (code or name).")
    phase: float = number(0.0, doc="Phase (JMA, ALMA offset).")
    power: float = number(2.0, 0.0, doc="Power (JMA).")

    @model_validator(mode="after")
    def _periods(self) -> Self:
        if not self.min_period < self.max_period:
            raise ParameterError(
                f"max_period: must be greater than min_period ({self.min_period}), got {self.max_period}"
            )
        if 2 * self.max_period > self.window:
            raise ParameterError(f"max_period: must be <= window / 2 ({self.window // 2}), got {self.max_period}")
        check_ma("ma_type", self.ma_type, self.min_period, volume=True)
        return self


__all__ = [
    "CelestialParams",
    "CycleParams",
    "IndicatorParams",
    "MAParams",
    "SniperParams",
    "SpectralParams",
    "VZOParams",
    "check_float",
    "check_int",
    "check_ma",
    "error_message",
    "integer",
    "number",
    "text_value",
]
