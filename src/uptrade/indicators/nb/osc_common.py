"""What the oscillator kernels (``dmi``, ``sniper``, ``vzo``) share: named layouts and small helpers.

An oscillator's parameter vector ``p``, its output rows ``fo``/``bo`` and its scalar state ``st``
are indexed by module-level integer constants (``p[P_LENGTH]``, ``fo[F_F3]``, ``st[S_SC]``).
numba freezes module globals at compile time, so a named index costs nothing. The constants are
the one definition of each order: :func:`layout_names` reads a family of them (``P_...``) back as
the tuple of names in index order, and :func:`pack` builds ``p`` from a name -> value mapping in
that order (the wrappers never list parameters by position).

Only numpy, numba and the standard library are imported (``scripts/compat_numba061.py`` runs
these modules in a bare numba 0.61 venv).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit

from uptrade.indicators.nb.ma_batch import ma_1d_nb
from uptrade.indicators.nb.ma_step import ma_init_nb, ma_step_nb


def layout_names(namespace: Mapping[str, object], prefix: str) -> tuple[str, ...]:
    """Lower-cased names of the ``prefix``-constants of ``namespace``, in index order.

    ``P_LENGTH = 0`` and ``P_MA_TYPE = 1`` give ``("length", "ma_type")``. The indices must be
    0, 1, ... n-1, each once (``ValueError`` otherwise).
    """
    given = {k.removeprefix(prefix).lower(): v for k, v in namespace.items() if k.startswith(prefix)}
    found = {k: v for k, v in given.items() if type(v) is int}
    if len(found) != len(given) or sorted(found.values()) != list(range(len(found))):
        raise ValueError(f"{prefix}* constants must be the integers 0..{len(given) - 1}, each once: {given}")
    return tuple(sorted(found, key=found.__getitem__))


def pack(names: tuple[str, ...], values: Mapping[str, float]) -> np.ndarray:
    """``values`` as the float64 vector ``p`` of a kernel whose layout is ``names``."""
    missing = [k for k in names if k not in values]
    extra = [k for k in values if k not in names]
    if missing or extra:
        raise ValueError(f"parameter layout {names}: missing {missing}, unexpected {extra}")
    return np.array([values[k] for k in names], dtype=np.float64)


@njit(cache=True, error_model="numpy")
def sign_nb(v: float) -> float:
    """Sign of ``v`` as 1.0, -1.0 or 0.0."""
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


@njit(cache=True, error_model="numpy")
def ma_next_nb(st: np.ndarray, o: int, code: int, n: int | np.int64, phase: float, power: float, x: float) -> float:
    """One value into the MA machine at ``st[o:]`` (types that use only ``x``); ``n`` may be an int64."""
    return ma_step_nb(code, int(n), phase, power, st, o, x, x, x, x)


@njit(cache=True, error_model="numpy")
def ma_start_nb(st: np.ndarray, o: int, code: int, n: int) -> None:
    """Fresh MA machine at ``st[o:]``."""
    ma_init_nb(code, n, st, o)


@njit(cache=True, error_model="numpy")
def ma_series_nb(code: int, x: np.ndarray, n: int, phase: float, power: float) -> np.ndarray:
    """MA of a whole array (types that use only ``x``), into a new array."""
    return ma_1d_nb(code, x, n, phase, power, x, x, x, np.empty_like(x))
