"""Signal rules for indicators whose outputs are levels rather than buy/sell flags.

Each rule maps outputs to an ``int8`` signal in ``{-1, 0, 1}``, set on the bar whose close shows
it (causal: a bar's value depends on it and the bars before only):

- :func:`line_cross`: the close crossing a line (``ma:cross``: 1 up, -1 down);
- :func:`turns`: a series turning (``spectral:turns``: 1 when it rises after not rising, i.e. a
  trough one bar back, -1 after a peak);
- :func:`channel_cross`: the close crossing a channel level (``celestial:cross``: 1 when the
  previous close was below the level now under the close, -1 when it was at or above the level
  now over it).
"""

from __future__ import annotations

import numpy as np


def line_cross(close: np.ndarray, line: np.ndarray) -> np.ndarray:
    """1 where ``close`` moves above ``line`` from below, -1 the other way (NaN line: no side)."""
    above = np.where(np.isnan(line), 0, np.sign(close - line))
    prev = np.concatenate([[0.0], above[:-1]])
    return np.where((above > 0) & (prev < 0), 1, np.where((above < 0) & (prev > 0), -1, 0)).astype(np.int8)


def turns(x: np.ndarray) -> np.ndarray:
    """1 where ``x`` rises after not rising (a trough at the previous bar), -1 at a peak."""
    d = np.diff(x, prepend=np.nan)
    prev = np.concatenate([[np.nan], d[:-1]])
    up = (d > 0) & (prev <= 0)
    down = (d < 0) & (prev >= 0)
    return np.where(up, 1, np.where(down, -1, 0)).astype(np.int8)


def channel_cross(close: np.ndarray, below: np.ndarray, above: np.ndarray) -> np.ndarray:
    """1 when the previous close was under the level now below the close, -1 when at or over the one above."""
    prev = np.concatenate([[np.nan], close[:-1]])
    return np.where(prev < below, 1, np.where(prev >= above, -1, 0)).astype(np.int8)


__all__ = ["channel_cross", "line_cross", "turns"]
