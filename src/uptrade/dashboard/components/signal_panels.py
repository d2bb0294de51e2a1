"""The signals page's building blocks: parameter specs from the models, overlays, panels, signal tables.

Plain functions over library results, so each is tested on its own and the page only wires
widgets to them. Parameter widgets are generated from the pydantic models' JSON schema
(:func:`param_specs`): names, kinds, defaults and the declared bounds, never a copy of them.
Indicators run through the registry and :mod:`uptrade.signals`, as ``uptrade indicators run``
and ``uptrade signals run`` do, so the page shows what those commands print.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
from pydantic import BaseModel

from uptrade.dashboard.components.charts import Panel
from uptrade.errors import ParameterError
from uptrade.indicators.ma import MA_TYPES, ma_type_of
from uptrade.indicators.params import IndicatorParams, SniperParams, VZOParams
from uptrade.indicators.registry import get_indicator
from uptrade.signals import combine, compute_signal, parse_source

ParamKind = Literal["int", "float", "ma", "text"]


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as a widget needs it: kind, default, inclusive bounds (None: open) and help text.

    ``low`` also holds an exclusive lower bound (``gt``): a widget cannot express it, so the
    model refuses that one value with its own message.
    """

    name: str
    kind: ParamKind
    default: Any
    low: float | None = None
    high: float | None = None
    help: str = ""

    @property
    def label(self) -> str:
        """``dmi_len`` -> ``dmi len``: the widget's label (the parameter's own name, readable)."""
        return self.name.replace("_", " ")


def param_specs(model: type[BaseModel]) -> list[ParamSpec]:
    """Every field of ``model`` in declaration order, read from its JSON schema.

    Integers and numbers keep their ``minimum``/``maximum`` (or ``exclusiveMinimum``/``exclusiveMaximum``);
    fields named ``*ma_type`` are a choice among the 34 MA types; anything else is text.
    """
    props: dict[str, Any] = model.model_json_schema()["properties"]
    specs = []
    for name, prop in props.items():
        low = prop.get("minimum", prop.get("exclusiveMinimum"))
        high = prop.get("maximum", prop.get("exclusiveMaximum"))
        kind: ParamKind
        default = prop.get("default")
        if name.endswith("ma_type"):
            kind = "ma"
            default = ma_type_of(default).name
        elif prop.get("type") == "integer":
            kind = "int"
        elif prop.get("type") == "number":
            kind, default = "float", float(default)
        else:
            kind = "text"
        specs.append(ParamSpec(name, kind, default, low, high, str(prop.get("description", ""))))
    return specs


def ma_choices() -> list[str]:
    """The 34 moving-average types' names, in code order (what an ``*ma_type`` widget offers)."""
    return [t.name for t in MA_TYPES]


def ma_label(ma_type: str | int, window: int) -> str:
    """``EMA 50``: an overlay's legend name (the type's short alias and the window)."""
    return f"{ma_type_of(ma_type).aliases[0].upper()} {window}"


def decimals(value: float, most: int = 6) -> int:
    """Decimals a number input needs to show ``value`` as written (1.386 -> 3; at least 1)."""
    text = f"{value:.{most}f}".rstrip("0")
    return max(1, len(text.partition(".")[2]))


def input_step(default: float) -> float:
    """A number input's step: one tenth of ``default``'s order of magnitude (1.386 -> 0.1, 20 -> 1), 0.1 for 0."""
    if default == 0 or not math.isfinite(default):
        return 0.1
    return round(10.0 ** (math.floor(math.log10(abs(default))) - 1), 12)


def checked_params(indicator: str, values: Mapping[str, Any], owner: str | None = None) -> dict[str, Any]:
    """``values`` checked by ``indicator``'s model, every parameter filled in (defaults for the rest).

    A bad value is a :class:`ParameterError` prefixed with ``owner`` (the indicator's title by
    default), e.g. ``SniperProX: ma_type: Alexander Moving Average needs windows >= 4 ...``.
    """
    info = get_indicator(indicator)
    try:
        return info.model.of(dict(values)).model_dump()
    except ParameterError as exc:
        raise ParameterError(f"{owner or info.title}: {exc}") from None


def ma_overlay(candles: pd.DataFrame, ma_type: str | int, window: int) -> pd.Series:
    """The registry's ``ma`` indicator on ``candles`` (``uptrade indicators run -i ma``): the MA line."""
    ma = get_indicator("ma").outputs(candles, ma_type=ma_type, window=window)["ma"]
    return ma.rename(ma_label(ma_type, window))


def sniper_panel(frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> Panel:
    """SniperProX's panel from ``indicator_frame(candles, "sniper", ...)``: f3, its adaptive zones, ±OB/OS.

    The markers are the indicator's own signal (``sniper:major``).
    """
    p = SniperParams.of(dict(params or {}))
    ob = p.overbought_oversold
    lines = {"f3": frame["f3"], "upper zone": frame["upper"], "lower zone": frame["lower"]}
    return Panel("SniperProX", lines=lines, levels=(ob, 0.0, -ob), signal=frame["signal"], height=0.3)


def vzo_panel(frame: pd.DataFrame, params: Mapping[str, Any] | None = None) -> Panel:
    """VZOProX's panel from ``indicator_frame(candles, "vzo", ...)``: vzo, its adaptive zones, the minor/major levels.

    The markers are the indicator's own signal (``vzo:major``).
    """
    p = VZOParams.of(dict(params or {}))
    levels = (
        p.minor_sell_val + p.minor_major_range,
        p.minor_sell_val,
        0.0,
        p.minor_buy_val,
        p.minor_buy_val - p.minor_major_range,
    )
    lines = {"vzo": frame["vzo"], "upper zone": frame["upper"], "lower zone": frame["lower"]}
    return Panel("VZOProX", lines=lines, levels=levels, signal=frame["signal"], height=0.3)


def source_indicators(sources: Sequence[str]) -> list[str]:
    """The indicators ``sources`` read, each once, in order (``sniper:major, vzo:minor`` -> sniper, vzo)."""
    out: list[str] = []
    for source in sources:
        ind = parse_source(source).indicator
        if ind not in out:
            out.append(ind)
    return out


def source_signals(
    candles: pd.DataFrame, sources: Sequence[str], params: Mapping[str, Mapping[str, Any]]
) -> dict[str, pd.Series]:
    """Each source's int8 signal (``compute_signal``), its indicator run with ``params[indicator]``."""
    out: dict[str, pd.Series] = {}
    for source in sources:
        adapter = parse_source(source)
        out[adapter.name] = compute_signal(candles, adapter.name, **params.get(adapter.indicator, {}))
    return out


def combined_signal(
    signals: Mapping[str, pd.Series],
    mode: str,
    *,
    weights: Mapping[str, float] | None = None,
    threshold: float = 0.5,
    primary: str | None = None,
    confirm_window: int = 3,
) -> pd.Series:
    """``combine(signals, mode, ...)`` as an int8 Series named ``combined``; only what ``mode`` reads is passed."""
    kw: dict[str, Any] = {}
    if mode == "weighted":
        kw = {"weights": dict(weights) if weights else None, "threshold": threshold}
    elif mode == "confirm":
        kw = {"primary": primary, "confirm_window": confirm_window}
    out = combine(signals, mode, **kw)
    return pd.Series(out, index=next(iter(signals.values())).index, name="combined", dtype="int8")


def latest_signals(
    candles: pd.DataFrame, signals: Mapping[str, pd.Series], combined: pd.Series, last: int = 10
) -> pd.DataFrame:
    """The ``last`` bars where ``combined`` is non-zero: time, close, each source, combined (as ``signals run``)."""
    hits = combined.index[combined.to_numpy() != 0][-max(last, 1) :]
    table = pd.DataFrame({"time": hits, "close": candles["close"].reindex(hits).to_numpy()})
    for name, sig in signals.items():
        table[name] = sig.reindex(hits).to_numpy(dtype="int64")
    table["combined"] = combined.reindex(hits).to_numpy(dtype="int64")
    return table


def signal_counts(signals: Mapping[str, pd.Series], combined: pd.Series | None = None) -> pd.DataFrame:
    """Long and short bars per source, then the combined signal (``signals run``'s closing lines)."""
    series = dict(signals) | ({"combined": combined} if combined is not None else {})
    rows = [
        {"source": name, "long": int((s.to_numpy() == 1).sum()), "short": int((s.to_numpy() == -1).sum())}
        for name, s in series.items()
    ]
    return pd.DataFrame(rows, columns=["source", "long", "short"])


def label_markers(fig: go.Figure, price: str, panels: Sequence[str], *, volume: bool = True) -> go.Figure:
    """Prefix the buy/sell marker traces of :func:`price_figure` with whose signal they are.

    ``price`` names the markers on the price row (``combined buy (252)``), ``panels`` the panels'
    titles in row order (``SniperProX sell (32)``), so the legend tells the rows' markers apart.
    """
    owners = {"y": price} | {f"y{2 + int(volume) + j}": title for j, title in enumerate(panels)}
    for trace in fig.data:
        name = str(getattr(trace, "name", "") or "")
        owner = owners.get(str(getattr(trace, "yaxis", None) or "y"))
        if owner and name.startswith(("buy (", "sell (")):
            trace.name = f"{owner} {name}"
    return fig


def indicator_model(indicator: str) -> type[IndicatorParams]:
    """The parameter model of ``indicator`` (what its widgets are generated from)."""
    return get_indicator(indicator).model


__all__ = [
    "ParamSpec",
    "checked_params",
    "combined_signal",
    "decimals",
    "indicator_model",
    "input_step",
    "label_markers",
    "latest_signals",
    "ma_choices",
    "ma_label",
    "ma_overlay",
    "param_specs",
    "signal_counts",
    "sniper_panel",
    "source_indicators",
    "source_signals",
    "vzo_panel",
]
