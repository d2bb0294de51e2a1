"""The fake Polygon server's per-request slicing on Python lists gives exactly the bars of ``Series.window``."""

from __future__ import annotations

import random

import pandas as pd

from tests.fakes.market import Series


def test_window_lists_equal_window(btc_1h: pd.DataFrame) -> None:
    """Same bars, same values and types, the forming bar made the same way, for many windows."""
    series = Series(btc_1h.iloc[:3000], 3600, scale=1.037)
    first, last = int(series.t[0]), int(series.t[-1])
    rng = random.Random(7)
    for seconds in (3600, 4 * 3600, 86400, 7 * 86400):
        for _ in range(300):
            lo = rng.randint(first - 3 * seconds, last + seconds)
            hi = lo + rng.choice((0, 1, seconds - 1, seconds, 5 * seconds, 400 * seconds))
            now = rng.choice((lo + rng.random() * seconds, hi + 0.5, float(last + 2 * seconds), lo - 1.0))
            want = [a.tolist() for a in series.window(seconds, lo, hi, now)]
            got = [list(a) for a in series.window_lists(seconds, lo, hi, now)]
            assert got == want, (seconds, lo, hi, now)
            assert [[type(x) for x in a] for a in got] == [[type(x) for x in a] for a in want]
    assert list(series.columns(3600)[3]) == series.l.tolist()  # a forming bar never changes the cached lists
