"""Celestial channels (``INDICATORS.md`` section 6): planetary longitude mapped to price levels.

With ``lam`` a body's tropical longitude (or the shorter-arc midpoint of two bodies) and ``s = -1``
when mirrored, else 1, level ``h`` is ``s * lam * scaler + 360 * scaler * (h + base)`` for
``h = 0 .. n_harmonics - 1``: a ladder of prices ``360 * scaler`` apart that drifts with the planet.
:func:`nearest_levels` gives, per bar, the levels just below and above the close, for
support/resistance signals.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from uptrade.errors import DataFormatError, ParameterError
from uptrade.indicators.astro import check_body, midpoint, planet_longitude, to_utc_index


def celestial_channel_levels(
    times: Any,
    body: str,
    scaler: float = 16.18,
    base: int = 6,
    n_harmonics: int = 10,
    mirror: bool = False,
    body_b: str | None = None,
) -> pd.DataFrame:
    """Channel levels ``level_0 .. level_{n_harmonics-1}`` per timestamp (a DataFrame indexed by the UTC times).

    ``body_b`` uses the midpoint of the two longitudes; ``mirror`` negates the longitude term.
    """
    if isinstance(scaler, bool) or not isinstance(scaler, (int, float, np.integer, np.floating)):
        raise ParameterError(f"scaler: must be a positive number, got {scaler!r}")
    if not (np.isfinite(scaler) and scaler > 0):
        raise ParameterError(f"scaler: must be a positive number, got {scaler!r}")
    if isinstance(base, bool) or not isinstance(base, (int, np.integer)):
        raise ParameterError(f"base: must be an integer, got {base!r}")
    if isinstance(n_harmonics, bool) or not isinstance(n_harmonics, (int, np.integer)) or n_harmonics < 1:
        raise ParameterError(f"n_harmonics: must be an integer >= 1, got {n_harmonics!r}")
    key = check_body(body)
    index, _ = to_utc_index(times)
    lam = planet_longitude(index, key).to_numpy()
    if body_b is not None:
        key_b = check_body(body_b)
        if key_b == key:
            raise ParameterError(f"body_b: must differ from body ({key})")
        lam = midpoint(lam, planet_longitude(index, key_b).to_numpy())
    s = -1.0 if mirror else 1.0
    h = np.arange(int(n_harmonics), dtype=np.float64)
    levels = s * lam[:, None] * scaler + 360.0 * scaler * (h[None, :] + int(base))
    return pd.DataFrame(levels, index=index, columns=[f"level_{i}" for i in range(int(n_harmonics))])


def nearest_levels(close: Any, levels: Any) -> pd.DataFrame:
    """Per bar, ``below`` = the highest level <= close and ``above`` = the lowest level > close (NaN if none).

    ``levels`` is a DataFrame (e.g. from :func:`celestial_channel_levels`) or a 2-D array with one
    row per bar; NaN levels are ignored. The result is indexed like ``levels`` (or ``close``).
    """
    lv = np.asarray(levels, dtype=np.float64)
    c = np.asarray(close, dtype=np.float64)
    if lv.ndim != 2:
        raise DataFormatError(f"levels: expected one row of levels per bar (2-D), got shape {lv.shape}")
    if c.ndim != 1 or c.shape[0] != lv.shape[0]:
        raise DataFormatError(f"close: expected {lv.shape[0]} values (one per row of levels), got shape {c.shape}")
    col = c[:, None]
    below = np.where(lv <= col, lv, -np.inf).max(axis=1, initial=-np.inf)
    above = np.where(lv > col, lv, np.inf).min(axis=1, initial=np.inf)
    index = levels.index if isinstance(levels, pd.DataFrame) else close.index if isinstance(close, pd.Series) else None
    return pd.DataFrame(
        {"below": np.where(np.isfinite(below), below, np.nan), "above": np.where(np.isfinite(above), above, np.nan)},
        index=index,
    )
