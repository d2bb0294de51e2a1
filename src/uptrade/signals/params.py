"""``SOURCE.param=value``: the one syntax that names an indicator parameter of a signal source.

``uptrade signals run -p`` and ``uptrade optimize -g`` (and any other shell) read parameter names
with :func:`resolve_param`, so they accept the same spellings:

- ``sniper:minor.length``: the full source name, then the parameter;
- ``sniper.length``: the indicator alone, when exactly one of the sources uses it;
- ``length``: the parameter alone, when exactly one of the sources has it.

A name that fits several sources is refused with the spellings that would not be, an unknown
one with the closest valid names (:func:`uptrade.errors.did_you_mean`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from uptrade.errors import ParameterError, did_you_mean
from uptrade.indicators.registry import get_indicator
from uptrade.signals.adapters import parse_source

SYNTAX = "SOURCE.param=value (e.g. sniper:minor.length=28, or sniper.length=28 when one source is sniper's)"


def _indicators(sources: Iterable[str]) -> dict[str, str]:
    """Canonical source name -> its indicator."""
    out = {}
    for source in sources:
        adapter = parse_source(source)
        out[adapter.name] = adapter.indicator
    return out


def sources_with(field: str, sources: Iterable[str]) -> list[str]:
    """The sources (canonical names) whose indicator has a parameter called ``field``."""
    return [name for name, ind in _indicators(sources).items() if field in get_indicator(ind).params]


def resolve_param(name: str, sources: Iterable[str], *, param: str | None = None) -> tuple[str, str]:
    """``(source, parameter)`` that ``name`` means among ``sources``; ``ParameterError`` naming ``name`` otherwise.

    ``param`` is the library argument that held the name (the CLI's ``--param`` or ``--grid``).
    """
    known = _indicators(sources)
    text = name.strip()
    head, dot, field = text.rpartition(".")
    if not dot:
        found = sources_with(text, known)
        if not found:
            every = sorted({p for ind in known.values() for p in get_indicator(ind).params})
            raise ParameterError(f"{text}: no such parameter; {did_you_mean(text, every)}", param=param)
        if len(found) > 1:
            options = ", ".join(f"{s}.{text}" for s in found)
            raise ParameterError(f"{text}: ambiguous, write one of {options}", param=param)
        return found[0], text
    key = head.strip().lower()
    matches = [s for s, ind in known.items() if key in (s, ind)]
    if not matches:
        hint = did_you_mean(key, sorted({*known, *known.values()}))
        raise ParameterError(f"{text}: {head!r} is not one of the sources ({', '.join(known)}); {hint}", param=param)
    if len(matches) > 1:
        options = ", ".join(f"{s}.{field}" for s in matches)
        raise ParameterError(f"{text}: {head!r} is more than one source; write one of {options}", param=param)
    params = tuple(get_indicator(known[matches[0]]).params)
    if field not in params:
        hint = did_you_mean(field, params)
        raise ParameterError(f"{text}: {known[matches[0]]} has no such parameter; {hint}", param=param)
    return matches[0], field


def split_pair(pair: str, *, param: str | None = None) -> tuple[str, str]:
    """``(name, value)`` of a ``name=value`` text."""
    name, sep, value = pair.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"{pair!r}: expected {SYNTAX}", param=param)
    return name.strip(), value.strip()


def parse_weights(pairs: Iterable[str], *, param: str = "weight") -> dict[str, float] | None:
    """The weighted combiner's ``SOURCE=number`` pairs as a dict (None when there are none).

    Every shell reads weights with this, so a bad pair gets one message everywhere.
    """
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, raw = pair.rpartition("=")
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not math.isfinite(number):
            raise ParameterError(f"{param}: expected SOURCE=number (e.g. sniper:minor=2), got {pair!r}", param=param)
        out[name.strip().lower()] = number
    return out or None


def parse_source_params(
    pairs: Iterable[str], sources: Iterable[str], *, param: str | None = "param"
) -> dict[str, dict[str, Any]]:
    """Each source's parameters from ``SOURCE.param=value`` texts, typed and checked by its indicator's model.

    Every source of ``sources`` gets an entry (empty when no pair names it), keyed by its canonical name.
    """
    known = _indicators(sources)
    raw: dict[str, dict[str, str]] = {name: {} for name in known}
    for pair in pairs:
        name, value = split_pair(pair, param=param)
        source, field = resolve_param(name, known, param=param)
        raw[source][field] = value
    out: dict[str, dict[str, Any]] = {}
    for source, values in raw.items():
        try:
            out[source] = get_indicator(known[source]).model.parse(values)
        except ParameterError as exc:
            raise ParameterError(f"{source}.{exc}", param=param) from None
    return out


__all__ = ["SYNTAX", "parse_source_params", "parse_weights", "resolve_param", "sources_with", "split_pair"]
