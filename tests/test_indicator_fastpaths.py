"""The one-pass loops of DEMA/TEMA/T3 and Wilder's DMI against their streaming machines and TA-Lib.

Both kernels run the machine over the warm-up and then a loop on local state that handles a NaN
bar itself (state held, last value repeated). The machine applied bar by bar is the reference:
the kernels must give its values bit for bit wherever the NaNs fall (both fuse each EMA update
with the same explicit multiply-add, ``nb/fma.py``), and TA-Lib's on clean data.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import talib

from uptrade.indicators.nb.dmi import WILDER, dmi_init_nb, dmi_nb, dmi_size_nb, dmi_step_nb
from uptrade.indicators.nb.ma_batch import ma_1d_nb, ma_loop_nb

CASCADES: dict[int, tuple[int, Callable[[np.ndarray, int], np.ndarray]]] = {
    4: (2, talib.DEMA),
    5: (3, talib.TEMA),
    12: (6, lambda x, n: talib.T3(x, n, 0.7)),
}
WINDOWS = (1, 2, 3, 14, 30)


def _walk(size: int, seed: int) -> np.ndarray:
    return 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, size)))


def _holes(x: np.ndarray, case: str, warm: int) -> np.ndarray:
    """``x`` with NaNs placed as ``case`` says (``warm``: bars the kernel's warm-up takes)."""
    x = x.copy()
    if case == "start":
        x[:9] = np.nan
    elif case == "middle":
        x[700:740] = np.nan
    elif case == "end":
        x[-25:] = np.nan
    elif case == "single":
        x[[warm + 1, warm + 2, 500, 999, x.size - 1]] = np.nan
    elif case == "warm-up":
        x[[1, warm // 2, warm - 1, warm]] = np.nan
    elif case == "all":
        x[:] = np.nan
    return x


CASES = ("clean", "start", "middle", "end", "single", "warm-up", "all")


def _ma(code: int, x: np.ndarray, n: int) -> np.ndarray:
    return ma_1d_nb(code, x, n, 0.0, 2.0, x, x, x, np.empty_like(x))


def _ma_machine(code: int, x: np.ndarray, n: int) -> np.ndarray:
    return ma_loop_nb(code, x, n, 0.0, 2.0, x, x, x, np.empty_like(x))


@pytest.mark.parametrize("code", sorted(CASCADES))
@pytest.mark.parametrize("case", CASES)
def test_cascades_are_their_machine(code: int, case: str) -> None:
    depth = CASCADES[code][0]
    for n in WINDOWS:
        warm = depth * (n - 1) + 1
        for size in (1200, warm - 1, warm, warm + 1):  # shorter than, exactly and just past the warm-up
            x = _holes(_walk(1200, code * 7 + n), case, warm)[:size]
            got, want = _ma(code, x, n), _ma_machine(code, x, n)
            msg = f"n={n} size={size}"
            np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=msg)
            np.testing.assert_array_equal(got, want, err_msg=msg)  # warm-up and steady loop alike


def test_cascades_hold_through_a_nan_bar() -> None:
    x = _walk(300, 3)
    x[150] = np.nan
    for code in CASCADES:
        out = _ma(code, x, 10)
        assert out[150] == out[149]
        clean = _ma(code, np.delete(x, 150), 10)
        np.testing.assert_array_equal(np.delete(out, 150), clean)  # the bar is skipped, nothing else changes
    assert _ma(4, np.array([]), 5).size == 0


@pytest.mark.parametrize("code", sorted(CASCADES))
def test_cascades_agree_with_talib_with_leading_nans(code: int, btc_1h: pd.DataFrame) -> None:
    ref = CASCADES[code][1]
    for x in (btc_1h["close"].to_numpy("float64")[-4000:], _holes(_walk(3000, code), "start", 0)):
        for n in WINDOWS[1:]:
            ours, want = _ma(code, x, n), ref(x, n)
            np.testing.assert_array_equal(np.isnan(ours), np.isnan(want))
            ok = ~np.isnan(want)
            np.testing.assert_allclose(ours[ok], want[ok], rtol=1e-9, atol=1e-9 * np.nanmax(np.abs(want)))


def _ohlc(size: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = _walk(size, seed)
    return c * (1 + rng.uniform(0, 0.01, size)), c * (1 - rng.uniform(0, 0.01, size)), c


def _dmi(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, code: int = WILDER) -> np.ndarray:
    out = np.empty((3, c.size))
    dmi_nb(h, lo, c, n, code, out[0], out[1], out[2])
    return out


def _dmi_machine(h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, code: int = WILDER) -> np.ndarray:
    st = np.empty(dmi_size_nb(n, code))
    dmi_init_nb(st, 0, n, code)
    out = np.empty((3, c.size))
    res = np.empty(3)
    for i in range(c.size):
        dmi_step_nb(st, 0, n, code, h[i], lo[i], c[i], res)
        out[:, i] = res
    return out


@pytest.mark.parametrize("case", CASES)
def test_dmi_is_its_machine_bit_for_bit(case: str) -> None:
    for n in (2, 5, 14, 30):
        warm = 2 * n
        h, lo, c = _ohlc(1200, n)
        # the NaN goes into one input at a time (any NaN input skips the bar) and into all three
        for k in range(4):
            cols = [h, lo, c]
            for j in range(3):
                if k in (j, 3):
                    cols[j] = _holes(cols[j], case, warm)
            for size in (1200, warm - 1, warm, warm + 1):
                a, b, d = (v[:size] for v in cols)
                np.testing.assert_array_equal(_dmi(a, b, d, n), _dmi_machine(a, b, d, n), err_msg=f"n={n} k={k}")


def test_dmi_with_other_smoothing_is_the_machine() -> None:
    h, lo, c = _ohlc(800, 1)
    c[[100, 400]] = np.nan
    for code in (0, 1, 12):
        np.testing.assert_array_equal(_dmi(h, lo, c, 9, code), _dmi_machine(h, lo, c, 9, code))


def test_dmi_agrees_with_talib_with_leading_nans(btc_1h: pd.DataFrame) -> None:
    frame = btc_1h.iloc[-4000:]
    real = tuple(frame[k].to_numpy("float64") for k in ("high", "low", "close"))
    h, lo, c = _ohlc(3000, 5)
    h = h.copy()
    h[:6] = np.nan  # TA-Lib starts where all three inputs are defined, as the machine does
    for a, b, d in (real, (h, lo, c)):
        for n in (2, 14, 30):
            refs = (talib.PLUS_DI(a, b, d, n), talib.MINUS_DI(a, b, d, n), talib.ADX(a, b, d, n))
            for got, want in zip(_dmi(a, b, d, n), refs, strict=True):
                np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
                np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
