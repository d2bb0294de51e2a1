"""``fma_nb``: one rounding, checked against exact rational arithmetic, and the EMA built on it."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numba import njit

from uptrade.indicators.nb.fma import fma_nb
from uptrade.indicators.nb.ma_batch import ma_1d_nb, ma_loop_nb


@njit(cache=True)
def _fma_all(a: np.ndarray, b: np.ndarray, c: np.ndarray, out: np.ndarray) -> np.ndarray:
    for i in range(a.shape[0]):
        out[i] = fma_nb(a[i], b[i], c[i])
    return out


def test_fma_is_correctly_rounded() -> None:
    rng = np.random.default_rng(7)
    a = rng.normal(0, 1, 2000) * 10.0 ** rng.integers(-8, 8, 2000)
    b = rng.normal(0, 1, 2000) * 10.0 ** rng.integers(-8, 8, 2000)
    c = -(a * b) * (1 + rng.normal(0, 1e-9, 2000))  # near-cancellation, where one rounding shows
    got = _fma_all(a, b, c, np.empty_like(a))
    exact = [float(Fraction(x) * Fraction(y) + Fraction(z)) for x, y, z in zip(a, b, c, strict=True)]
    np.testing.assert_array_equal(got, exact)
    assert np.any(got != a * b + c)  # unfused, the two roundings differ on these inputs


def test_fma_residual_of_a_product() -> None:
    a = np.array([0.1, 1.0 / 3.0, 2.0**-30 + 1.0])
    got = _fma_all(a, a, -(a * a), np.empty_like(a))
    exact = [float(Fraction(x) * Fraction(x) - Fraction(x * x)) for x in a]
    np.testing.assert_array_equal(got, exact)
    assert np.all(got != 0.0)


def test_ema_family_batch_is_the_machine() -> None:
    """EMA, Wilder, DEMA, TEMA, KAMA, T3: batch kernels and machines fuse the same products."""
    rng = np.random.default_rng(3)
    x = 100 + np.cumsum(rng.normal(0, 1, 4000))
    x[[40, 41, 900, 2500]] = np.nan
    for code in (1, 3, 4, 5, 9, 12):
        got = ma_1d_nb(code, x, 21, 0.0, 2.0, x, x, x, np.empty_like(x))
        want = ma_loop_nb(code, x, 21, 0.0, 2.0, x, x, x, np.empty_like(x))
        np.testing.assert_array_equal(got, want, err_msg=f"code {code}")
