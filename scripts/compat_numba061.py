"""Check that the numba kernels (``uptrade.indicators.nb``) give the same results under Hummingbot's stack.

Hummingbot runs Python 3.12, numba 0.61.2 and numpy 2.2, older than the dev environment. This
script calls every public kernel entry point on fixed inputs: 5000 real BTCUSDT 1h candles, once
clean and once with leading NaNs and NaN holes, and ephemeris tables. Covered:

- ``rolling``: first_valid, sma, wma, linreg, ema (SMA seed and given alpha), rolling_extreme;
- ``ma_step``: ma_size/ma_init/ma_step, driven bar by bar as ``MovingAverageStream`` does;
- ``ma_batch``: has_gap, ma_loop, ma_1d, jma, kama, trima and the 2-D sweep ma_2d (C and F order);
- ``dmi``, ``sniper``, ``vzo``: stoch, dmi, SniperProX and VZOProX in batch (sniper/vzo) and
  streaming form (*_layout/*_init/*_step), the parameters packed by name in each kernel's layout;
- ``spectral`` (on hl2): bandpass_alpha, bandpass (the 11 Hurst cycles), goertzel_tables,
  split_tables, goertzel (the Hurst cycles and periods 8/20/50, windows 64 and 300 with every
  detrend/taper pair, plus Hurst at window 618 and with reanchor 7; complex outputs, compared per
  real and imaginary part), goertzel_step driven as ``GoertzelStream.update`` does
  (and ``DominantCycleStream``: dominant per bar), the peak helpers as ``dominant_cycle`` calls
  them (whiten, is_peak, refine_peak, lobe, lobe_share, dominant, whiten False/True),
  dominant_goertzel and dominant_bandpass (period grids of windows 64 and 300, whiten False/True);
- ``astro``: tt_from_utc (random and edge UTC instants 1900-2050, pre-1972 Delta T days, leap
  second days, NaT), lagrange_weights, lahiri, lahiri_rate, sun_deflection (table rows, incl.
  conjunctions behind the solar disc) and longitude (parallel; moon, mercury, jupiter, true_node;
  tropical/sidereal, with and without speed; random TT 1900-2050, grid nodes, out-of-table and NaN
  instants, dense runs through conjunctions and stations). There are no root-finding kernels:
  ``astro_events`` bisects in NumPy on top of longitude_nb.

The astro kernels take ephemeris tables built with skyfield, which the 0.61 venv lacks, so
``dump`` builds the inputs with the real code (``uptrade.indicators.astro_tables`` and
``spectral.period_grid``; pandas and skyfield are imported in dump mode only) and saves them in
the npz under ``__in__/``: the time table (``astro/time/*``), the tables of the four bodies
(``astro/table/<body>/{data,t0,step,deflect}``), the UTC instants (``astro/utc_ns``), the TT sets
(``astro/tt/...``), the table rows for sun_deflection (``astro/deflect_rows/<body>``), the Hurst
periods and the dominant-cycle period grids (``spectral/...``); the npz is about 75 MB. ``compare``
runs every kernel on exactly those inputs.

``dump`` saves every output; ``compare`` recomputes them in the running interpreter and checks
them against the saved ones (same keys, dtypes and NaN positions, floats within 1e-12 relative,
complex numbers per real and imaginary part, bools and ints identical), printing the versions,
the max relative difference and the first-call (compile) time per entry point and per kernel
module; it exits 1 on any mismatch or failure. Only numpy, numba and the standard library are
imported in compare mode (no pandas, no skyfield), so a bare
``pip install numba==0.61.2 "numpy>=2.2,<2.3"`` venv is enough.

Run from the project root (fresh cache directories, so the first calls really compile; while
``src`` is being edited, point both PYTHONPATHs at one copy of it):

    NUMBA_CACHE_DIR=/tmp/nc_a PYTHONPATH=src /tmp/venv/bin/python scripts/compat_numba061.py dump /tmp/ref.npz
    NUMBA_CACHE_DIR=/tmp/nc_b PYTHONPATH=src /tmp/venv312/bin/python scripts/compat_numba061.py compare /tmp/ref.npz
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import itertools
import json
import platform
import sys
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from time import perf_counter
from typing import Any

import numba
import numpy as np

from uptrade.indicators.nb import astro, dmi, ma_batch, ma_step, rolling, sniper, spectral, vzo
from uptrade.indicators.nb.osc_common import pack

DATA = Path("/work/shared/data/market/btcusdt_1h_binance.csv.gz")
ROWS = 5000
FIELDS = ("high", "low", "close", "volume")
N_TYPES = 34
WINDOWS = (2, 4, 9, 20, 50)
MIN_WINDOW = {22: 4, 27: 2}  # as in uptrade.indicators.ma.MA_TYPES
HL_CODES = (10, 30, 31)  # types that use high/low (FRAMA, Donchian, Donchian v2)
VOLUME_CODE = 32  # VWMA
STREAM_WINDOW = 9
RTOL = 1e-12
META = "__meta__"
INPUT = "__in__/"  # prefix of the saved inputs in the npz

# spectral: extra period set beside the Hurst cycles, windows, bandwidths (spectral.DEFAULT_BANDWIDTH first)
PERIOD_SETS = {"p8_20_50": (8.0, 20.0, 50.0)}
GOERTZEL_WINDOWS = (64, 300)
BANDWIDTHS = (0.025, 0.1)
SCAN_WINDOWS = (64, 300)  # dominant-cycle grids: 8 .. window/3 bars, 16 points per octave (as the wrappers)
# astro: bodies, random TT instants, UTC instants
ASTRO_BODIES = ("moon", "mercury", "jupiter", "true_node")
N_TT = 6000  # more than longitude_nb's chunk (4096): the prange loop runs several chunks
N_UTC = 3000

# Parameters by name, packed into each kernel's vector ``p`` by its layout (``nb.sniper.PARAMS``,
# ``nb.vzo.PARAMS``); MA types as codes. "default" is each indicator's DEFAULTS.
# fmt: off
SNIPER_PARAMS = {
    "default": {
        "length": 28, "ma_type": 8, "phase": 0.0, "power": 2.0, "overbought_oversold": 1.386,
        "trail_threshold": 0.986, "dmi_len": 14, "dmi_ma_type": 3, "adx_thresh": 20.0, "vol_avg_len": 20,
        "vol_per_thresh": 50.0, "data_sample": 55, "pcnt_above": 88.0, "pcnt_below": 88.0,
    },
    "ema_dmi_sma": {
        "length": 14, "ma_type": 1, "phase": 0.0, "power": 2.0, "overbought_oversold": 1.0,
        "trail_threshold": 0.8, "dmi_len": 10, "dmi_ma_type": 0, "adx_thresh": 25.0, "vol_avg_len": 10,
        "vol_per_thresh": 80.0, "data_sample": 40, "pcnt_above": 80.0, "pcnt_below": 90.0,
    },
    "t3_dmi_jma": {
        "length": 10, "ma_type": 12, "phase": 0.0, "power": 2.0, "overbought_oversold": 1.386,
        "trail_threshold": 0.986, "dmi_len": 9, "dmi_ma_type": 8, "adx_thresh": 20.0, "vol_avg_len": 30,
        "vol_per_thresh": 50.0, "data_sample": 30, "pcnt_above": 75.0, "pcnt_below": 70.0,
    },
}
VZO_PARAMS = {
    "default": {
        "vzo_length": 14, "ma_type": 8, "phase": 50.0, "power": 2.0,
        "noise_length": 2, "data_sample": 55, "pcnt_above": 80.0, "pcnt_below": 80.0,
        "minor_sell_val": 40.0, "minor_buy_val": -40.0, "minor_major_range": 20.0, "zero_cross_filter_range": 20.0,
    },
    "ema": {
        "vzo_length": 14, "ma_type": 1, "phase": 0.0, "power": 2.0,
        "noise_length": 1, "data_sample": 55, "pcnt_above": 80.0, "pcnt_below": 80.0,
        "minor_sell_val": 40.0, "minor_buy_val": -40.0, "minor_major_range": 20.0, "zero_cross_filter_range": 20.0,
    },
    "hma": {
        "vzo_length": 21, "ma_type": 6, "phase": 0.0, "power": 2.0,
        "noise_length": 3, "data_sample": 40, "pcnt_above": 70.0, "pcnt_below": 85.0,
        "minor_sell_val": 35.0, "minor_buy_val": -45.0, "minor_major_range": 10.0, "zero_cross_filter_range": 5.0,
    },
}
# fmt: on

Data = dict[str, np.ndarray]
Inputs = dict[str, np.ndarray]  # saved inputs (keys without the INPUT prefix)
KERNELS = Path(rolling.__file__).parent


def source_hashes() -> dict[str, str]:
    """sha256 of every kernel module, so compare can tell when the sources changed in between."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in sorted(KERNELS.glob("*.py"))}


SOURCES = source_hashes()  # what was imported (numba compiles the imported code)


# --- inputs ---------------------------------------------------------------------------------
def load_candles(path: Path = DATA, rows: int = ROWS) -> Data:
    """The first ``rows`` candles' high, low, close and volume as float64 arrays."""
    with gzip.open(path, "rt", newline="") as fh:
        records = list(itertools.islice(csv.DictReader(fh), rows))
    return {f: np.array([float(r[f]) for r in records], dtype=np.float64) for f in FIELDS}


def with_holes(clean: Data) -> Data:
    """A copy with 7 leading NaNs in every column and a few interior NaN holes."""
    gap = {k: v.copy() for k, v in clean.items()}
    for v in gap.values():
        v[:7] = np.nan
    gap["close"][[500, 1200, 1201, 1202, 3333]] = np.nan
    gap["high"][[2000, 4100]] = np.nan
    gap["low"][[2001, 4100]] = np.nan
    gap["volume"][[2500, 4000]] = np.nan
    return gap


def ma_inputs(code: int, d: Data) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x, hi, lo, vol as ``moving_average`` passes them (hi/lo/vol are x unless the type uses them)."""
    x = d["close"]
    hi, lo = (d["high"], d["low"]) if code in HL_CODES else (x, x)
    vol = d["volume"] if code == VOLUME_CODE else x
    return x, hi, lo, vol


def windows_for(code: int) -> list[int]:
    return sorted({max(w, MIN_WINDOW.get(code, 1)) for w in WINDOWS})


# --- running the kernels --------------------------------------------------------------------
class Runner:
    """Collects outputs by key and times the first call of every entry point."""

    def __init__(self) -> None:
        self.out: dict[str, np.ndarray] = {}
        self.first_call: dict[str, float] = {}
        self.module: dict[str, str] = {}  # entry point -> kernel module
        self.failures: dict[str, str] = {}

    def call(self, entry: str, fn: Callable[..., Any], *args: Any) -> Any:
        if entry in self.first_call:
            return fn(*args)
        t0 = perf_counter()
        res = fn(*args)
        self.first_call[entry] = perf_counter() - t0
        self.module[entry] = getattr(fn, "py_func", fn).__module__.rsplit(".", 1)[-1]
        return res

    def put(self, key: str, value: object) -> None:
        self.out[key] = np.array(value, copy=True)


def run_rolling(r: Runner, data: dict[str, Data]) -> None:
    for tag, d in data.items():
        for f in FIELDS:
            r.put(f"first_valid_nb/{f}/{tag}", r.call("first_valid_nb", rolling.first_valid_nb, d[f]))
        x = d["close"]
        for n in WINDOWS:
            sfx = f"n{n:02d}/{tag}"
            r.put(f"sma_nb/{sfx}", r.call("sma_nb", rolling.sma_nb, x, n, np.empty_like(x)))
            r.put(f"wma_nb/{sfx}", r.call("wma_nb", rolling.wma_nb, x, n, np.empty_like(x)))
            r.put(f"linreg_nb/{sfx}", r.call("linreg_nb", rolling.linreg_nb, x, n, np.empty_like(x)))
            r.put(f"ema_nb/sma_seed/{sfx}", r.call("ema_nb", rolling.ema_nb, x, n, np.nan, np.empty_like(x)))
            r.put(f"ema_nb/alpha_1_n/{sfx}", r.call("ema_nb", rolling.ema_nb, x, n, 1.0 / n, np.empty_like(x)))
            hh = r.call("rolling_extreme_nb", rolling.rolling_extreme_nb, d["high"], n, True, np.empty_like(x))
            ll = r.call("rolling_extreme_nb", rolling.rolling_extreme_nb, d["low"], n, False, np.empty_like(x))
            r.put(f"rolling_extreme_nb/high/{sfx}", hh)
            r.put(f"rolling_extreme_nb/low/{sfx}", ll)


def run_ma_step(r: Runner, data: dict[str, Data]) -> None:
    """The streaming machines called bar by bar from Python, as ``MovingAverageStream`` does."""
    sizes = np.array([[r.call("ma_size_nb", ma_step.ma_size_nb, c, n) for n in WINDOWS] for c in range(N_TYPES)])
    r.put("ma_size_nb/all", sizes)
    n = STREAM_WINDOW
    for tag, d in data.items():
        for code in range(N_TYPES):
            x, hi, lo, vol = (a.tolist() for a in ma_inputs(code, d))
            st = np.empty(ma_step.ma_size_nb(code, n))
            r.call("ma_init_nb", ma_step.ma_init_nb, code, n, st)
            res = np.empty(len(x))
            for i in range(len(x)):
                res[i] = r.call("ma_step_nb", ma_step.ma_step_nb, code, n, 0.0, 2.0, st, 0, x[i], hi[i], lo[i], vol[i])
            r.put(f"ma_step_nb/c{code:02d}/n{n:02d}/{tag}", res)
            r.put(f"ma_step_nb/state/c{code:02d}/n{n:02d}/{tag}", st)


def run_ma_batch(r: Runner, data: dict[str, Data]) -> None:
    for tag, d in data.items():
        r.put(f"has_gap_nb/{tag}", r.call("has_gap_nb", ma_batch.has_gap_nb, d["close"]))
        for code in range(N_TYPES):
            x, hi, lo, vol = ma_inputs(code, d)
            for n in windows_for(code):
                sfx = f"c{code:02d}/n{n:02d}/{tag}"
                args = (code, x, n, 0.0, 2.0, hi, lo, vol)
                r.put(f"ma_loop_nb/{sfx}", r.call("ma_loop_nb", ma_batch.ma_loop_nb, *args, np.empty_like(x)))
                r.put(f"ma_1d_nb/{sfx}", r.call("ma_1d_nb", ma_batch.ma_1d_nb, *args, np.empty_like(x)))
    # the fast kernels directly (they expect no interior NaN: clean data only), JMA with a phase
    x = data["clean"]["close"]
    for n in WINDOWS:
        r.put(f"jma_nb/n{n:02d}", r.call("jma_nb", ma_batch.jma_nb, x, n, 50.0, 1.5, np.empty_like(x)))
        r.put(f"kama_nb/n{n:02d}", r.call("kama_nb", ma_batch.kama_nb, x, n, np.empty_like(x)))
        r.put(f"trima_nb/n{n:02d}", r.call("trima_nb", ma_batch.trima_nb, x, n, np.empty_like(x)))
        jma = r.call("ma_1d_nb", ma_batch.ma_1d_nb, 8, x, n, -30.0, 3.0, x, x, x, np.empty_like(x))
        r.put(f"ma_1d_nb/c08_phase-30_power3/n{n:02d}/clean", jma)


def run_ma_2d(r: Runner, data: dict[str, Data]) -> None:
    """The parallel sweep over three columns (clean, gappy, scaled clean), C and Fortran order."""
    c, g = data["clean"], data["gap"]
    cols = {f: np.column_stack([c[f], g[f], c[f] * 1.01]) for f in FIELDS}
    windows = np.array([4, 9, 20], dtype=np.int64)
    for code in (0, 1, 5, 8, 9, 10, 12, 17, 22, 28, 31, 32, 33):
        x, hi, lo, vol = ma_inputs(code, cols)
        out = r.call("ma_2d_nb", ma_batch.ma_2d_nb, code, x, windows, 0.0, 2.0, hi, lo, vol, np.empty(x.shape))
        r.put(f"ma_2d_nb/c{code:02d}", out)
    x, hi, lo, vol = (np.asfortranarray(a) for a in ma_inputs(10, cols))
    out = r.call("ma_2d_nb[F]", ma_batch.ma_2d_nb, 10, x, windows, 0.0, 2.0, hi, lo, vol, np.empty(x.shape, order="F"))
    r.put("ma_2d_nb[F]/c10", out)


def run_osc_parts(r: Runner, data: dict[str, Data]) -> None:
    for tag, d in data.items():
        hi, lo, cl = d["high"], d["low"], d["close"]
        for w in (5, 8, 17):
            r.put(f"stoch_nb/w{w:02d}/{tag}", r.call("stoch_nb", sniper.stoch_nb, hi, lo, cl, w, np.empty_like(cl)))
        for code in (3, 0, 8):
            res = np.empty((3, cl.shape[0]))
            r.call("dmi_nb", dmi.dmi_nb, hi, lo, cl, 14, code, res[0], res[1], res[2])
            r.put(f"dmi_nb/c{code:02d}/{tag}", res)


def run_sniper(r: Runner, data: dict[str, Data]) -> None:
    nf, nb = len(sniper.FLOATS), len(sniper.BOOLS)
    for name, params in SNIPER_PARAMS.items():
        p = pack(sniper.PARAMS, params)
        for tag, d in data.items():
            n = d["close"].shape[0]
            fo = np.empty((nf, n))
            bo = np.empty((nb, n), dtype=np.bool_)
            sig = np.empty(n, dtype=np.int8)
            r.call("sniper_nb", sniper.sniper_nb, p, d["high"], d["low"], d["close"], d["volume"], fo, bo, sig)
            r.put(f"sniper_nb/fo/{name}/{tag}", fo)
            r.put(f"sniper_nb/bo/{name}/{tag}", bo)
            r.put(f"sniper_nb/sig/{name}/{tag}", sig)
            # streaming, as SniperProXStream.update does
            lay = r.call("sniper_layout_nb", sniper.sniper_layout_nb, p)
            st = np.empty(int(lay[-1]))
            r.call("sniper_init_nb", sniper.sniper_init_nb, p, lay, st)
            frow = np.empty(nf)
            brow = np.empty(nb, dtype=np.bool_)
            sfo = np.empty((nf, n))
            sbo = np.empty((nb, n), dtype=np.bool_)
            ssig = np.empty(n, dtype=np.int64)
            bars = zip(*(d[f].tolist() for f in FIELDS), strict=True)
            for i, (h, lw, c, v) in enumerate(bars):
                ssig[i] = r.call("sniper_step_nb", sniper.sniper_step_nb, p, lay, st, h, lw, c, v, frow, brow)
                sfo[:, i] = frow
                sbo[:, i] = brow
            r.put(f"sniper_layout_nb/{name}", lay)
            r.put(f"sniper_step_nb/fo/{name}/{tag}", sfo)
            r.put(f"sniper_step_nb/bo/{name}/{tag}", sbo)
            r.put(f"sniper_step_nb/sig/{name}/{tag}", ssig)
            r.put(f"sniper_step_nb/state/{name}/{tag}", st)


def run_vzo(r: Runner, data: dict[str, Data]) -> None:
    nf, nb = len(vzo.FLOATS), len(vzo.BOOLS)
    for name, params in VZO_PARAMS.items():
        p = pack(vzo.PARAMS, params)
        for tag, d in data.items():
            n = d["close"].shape[0]
            fo = np.empty((nf, n))
            bo = np.empty((nb, n), dtype=np.bool_)
            sig = np.empty(n, dtype=np.int8)
            r.call("vzo_nb", vzo.vzo_nb, p, d["close"], d["volume"], fo, bo, sig)
            r.put(f"vzo_nb/fo/{name}/{tag}", fo)
            r.put(f"vzo_nb/bo/{name}/{tag}", bo)
            r.put(f"vzo_nb/sig/{name}/{tag}", sig)
            lay = r.call("vzo_layout_nb", vzo.vzo_layout_nb, p)
            st = np.empty(int(lay[-1]))
            r.call("vzo_init_nb", vzo.vzo_init_nb, p, lay, st)
            frow = np.empty(nf)
            brow = np.empty(nb, dtype=np.bool_)
            sfo = np.empty((nf, n))
            sbo = np.empty((nb, n), dtype=np.bool_)
            ssig = np.empty(n, dtype=np.int64)
            bars = zip(d["close"].tolist(), d["volume"].tolist(), strict=True)
            for i, (c, v) in enumerate(bars):
                ssig[i] = r.call("vzo_step_nb", vzo.vzo_step_nb, p, lay, st, c, v, frow, brow)
                sfo[:, i] = frow
                sbo[:, i] = brow
            r.put(f"vzo_layout_nb/{name}", lay)
            r.put(f"vzo_step_nb/fo/{name}/{tag}", sfo)
            r.put(f"vzo_step_nb/bo/{name}/{tag}", sbo)
            r.put(f"vzo_step_nb/sig/{name}/{tag}", ssig)
            r.put(f"vzo_step_nb/state/{name}/{tag}", st)


# --- spectral ---------------------------------------------------------------------------------
def hl2(d: Data) -> np.ndarray:
    """The spectral wrappers' default source, ``(high + low) / 2`` (NaN where either is)."""
    return (d["high"] + d["low"]) / 2.0


def period_sets(inp: Inputs) -> dict[str, np.ndarray]:
    hurst = {"hurst": inp["spectral/periods/hurst"]}
    return hurst | {name: np.array(p, dtype=np.float64) for name, p in PERIOD_SETS.items()}


def run_spectral_parts(r: Runner, data: dict[str, Data], inp: Inputs) -> None:
    """bandpass_alpha/bandpass per Hurst cycle (as ``spectral(method="hurst")``), the Goertzel tables."""
    hurst = inp["spectral/periods/hurst"]
    for bw in BANDWIDTHS:
        alphas = [r.call("bandpass_alpha_nb", spectral.bandpass_alpha_nb, float(p), bw) for p in hurst]
        r.put(f"bandpass_alpha_nb/bw{bw:g}", alphas)
    for tag, d in data.items():
        x = hl2(d)
        for bw in BANDWIDTHS:
            for p in hurst:
                out = r.call("bandpass_nb", spectral.bandpass_nb, x, float(p), bw, np.empty_like(x))
                r.put(f"bandpass_nb/p{p:g}/bw{bw:g}/{tag}", out)
    parts = ("table", "rot", "coef", "c0", "c1", "omega", "wsum")
    for name, periods in period_sets(inp).items():
        for w in GOERTZEL_WINDOWS:
            for taper in (False, True):
                sfx = f"{name}/w{w:03d}/taper{int(taper)}"
                tab = r.call("goertzel_tables_nb", spectral.goertzel_tables_nb, periods, w, taper)
                for part, v in zip(parts, tab, strict=True):
                    r.put(f"goertzel_tables_nb/{part}/{sfx}", v)
                split = r.call("split_tables_nb", spectral.split_tables_nb, tab[0], tab[1])
                for part, v in zip(("tr", "ti", "rr", "ri"), split, strict=True):
                    r.put(f"split_tables_nb/{part}/{sfx}", v)
    for w in (*GOERTZEL_WINDOWS, 618):  # as spectral._taper_sum
        for taper in (False, True):
            wsum = r.call("goertzel_tables_nb", spectral.goertzel_tables_nb, np.array([float(w)]), w, taper)[6]
            r.put(f"goertzel_tables_nb/taper_sum/w{w:03d}/taper{int(taper)}", wsum)


def goertzel_batch(r: Runner, x: np.ndarray, periods: np.ndarray, w: int, detrend: bool, taper: bool) -> np.ndarray:
    out = np.empty((x.shape[0], periods.shape[0]), dtype=np.complex128)
    return r.call("goertzel_nb", spectral.goertzel_nb, x, periods, w, detrend, taper, w, out)


def run_goertzel(r: Runner, data: dict[str, Data], inp: Inputs) -> None:
    """goertzel_nb as ``goertzel_spectrum``/``spectral(method="goertzel")`` call it (reanchor = window)."""
    for tag, d in data.items():
        x = hl2(d)
        for name, periods in period_sets(inp).items():
            for w in GOERTZEL_WINDOWS:
                for detrend, taper in itertools.product((False, True), repeat=2):
                    out = goertzel_batch(r, x, periods, w, detrend, taper)
                    r.put(f"goertzel_nb/{name}/w{w:03d}/detrend{int(detrend)}_taper{int(taper)}/{tag}", out)
        hurst = inp["spectral/periods/hurst"]
        r.put(f"goertzel_nb/hurst/w618/detrend1_taper1/{tag}", goertzel_batch(r, x, hurst, 618, True, True))
        # a short re-anchoring period: sliding and re-anchored bars interleave
        out = np.empty((x.shape[0], hurst.shape[0]), dtype=np.complex128)
        out = r.call("goertzel_nb", spectral.goertzel_nb, x, hurst, 300, True, True, 7, out)
        r.put(f"goertzel_nb/hurst/w300/detrend1_taper1_reanchor7/{tag}", out)


def peak_helpers(r: Runner, key: str, grid: np.ndarray, power: np.ndarray) -> None:
    """What ``dominant_cycle`` does with one spectrum: whiten_nb, the peaks table and dominant_nb (leaves first)."""
    work = np.empty_like(power)
    r.put(f"whiten_nb/ok/{key}", r.call("whiten_nb", spectral.whiten_nb, grid, power, work))
    r.put(f"whiten_nb/work/{key}", work)
    hi = grid.shape[0] - 2
    gs = range(1, grid.shape[0] - 1)  # every in-band point, as _peaks (not only the peaks)
    freq = 1.0 / grid
    for which, pw in (("raw", power), ("white", work)):
        r.put(f"is_peak_nb/{key}/{which}", [r.call("is_peak_nb", spectral.is_peak_nb, pw, g) for g in gs])
        r.put(f"lobe_nb/{key}/{which}", [r.call("lobe_nb", spectral.lobe_nb, pw, g, 1, hi) for g in gs])
        r.put(
            f"refine_peak_nb/{key}/{which}",
            [r.call("refine_peak_nb", spectral.refine_peak_nb, freq, pw, g) for g in gs],
        )
        r.put(
            f"lobe_share_nb/{key}/{which}",
            [r.call("lobe_share_nb", spectral.lobe_share_nb, grid, pw, g) for g in gs],
        )
    for whiten in (False, True):
        work = np.empty_like(power)
        per, share = r.call("dominant_nb", spectral.dominant_nb, grid, power, whiten, work)
        r.put(f"dominant_nb/{key}/whiten{int(whiten)}", [per, share])
        r.put(f"dominant_nb/work/{key}/whiten{int(whiten)}", work)


def run_spectral_peaks(r: Runner, data: dict[str, Data], inp: Inputs) -> None:
    """``dominant_cycle(method="goertzel")``: the last window's spectrum on the grid, then the helpers."""
    x = hl2(data["clean"])
    for w in SCAN_WINDOWS:
        grid = inp[f"spectral/grid/w{w:03d}"]
        for end in (x.shape[0], x.shape[0] // 2):
            tail = np.ascontiguousarray(x[end - w : end])
            spec = goertzel_batch(r, tail, grid, w, True, True)[-1]
            power = spec.real**2 + spec.imag**2
            peak_helpers(r, f"goertzel/w{w:03d}/end{end}", grid, power)


def goertzel_stream(
    r: Runner, x: np.ndarray, periods: np.ndarray, w: int, detrend: bool, taper: bool
) -> tuple[np.ndarray, ...]:
    """``GoertzelStream(periods, w, detrend=, taper=).update`` over ``x``: spectra per bar and the final sums."""
    tables = r.call("goertzel_tables_nb", spectral.goertzel_tables_nb, periods, w, taper)
    split = r.call("split_tables_nb", spectral.split_tables_nb, tables[0], tables[1])
    br = np.zeros(tables[2].shape[0])
    bi = np.zeros(tables[2].shape[0])
    st = np.zeros(4)
    buf = np.empty(2 * w + 1)
    used = 0
    bars = 0
    last_nan = -1
    ready = False
    row = np.empty(periods.shape[0], dtype=np.complex128)
    res = np.empty((x.shape[0], periods.shape[0]), dtype=np.complex128)
    coef, c0, c1 = tables[2:5]
    for i, value in enumerate(x.tolist()):
        if used == buf.shape[0]:
            buf[: w + 1] = buf[used - w - 1 : used]
            used = w + 1
        v = float(value)
        buf[used] = v
        t = used
        used += 1
        if np.isnan(v):
            last_nan = bars
        bars += 1
        if bars - 1 - last_nan < w:
            ready = False
            res[i] = complex(np.nan, np.nan)
            continue
        anchor = (not ready) or st[3] + 1.0 >= w
        args = (buf, t, w, split, br, bi, st, coef, c0, c1, detrend, anchor, row)
        r.call("goertzel_step_nb", spectral.goertzel_step_nb, *args)
        ready = True
        res[i] = row
    return res, br, bi, st


def run_goertzel_stream(r: Runner, data: dict[str, Data], inp: Inputs) -> None:
    """goertzel_step_nb as ``GoertzelStream`` and ``DominantCycleStream`` drive it."""
    hurst = inp["spectral/periods/hurst"]
    configs = [("hurst", hurst, w, dt, tp) for w in GOERTZEL_WINDOWS for dt, tp in ((True, True), (False, False))]
    configs.append(("p8_20_50", period_sets(inp)["p8_20_50"], 64, True, False))
    for tag, d in data.items():
        x = hl2(d)
        for name, periods, w, detrend, taper in configs:
            sfx = f"{name}/w{w:03d}/detrend{int(detrend)}_taper{int(taper)}/{tag}"
            res, br, bi, st = goertzel_stream(r, x, periods, w, detrend, taper)
            r.put(f"goertzel_step_nb/{sfx}", res)
            r.put(f"goertzel_step_nb/state/{sfx}", np.concatenate([br, bi, st]))
        w = SCAN_WINDOWS[0]
        grid = inp[f"spectral/grid/w{w:03d}"]
        spec = goertzel_stream(r, x, grid, w, True, True)[0]
        for whiten in (False, True):
            work = np.empty(grid.shape[0])
            out = np.empty((x.shape[0], 2))
            for i in range(x.shape[0]):
                power = spec[i].real ** 2 + spec[i].imag ** 2
                out[i] = r.call("dominant_nb", spectral.dominant_nb, grid, power, whiten, work)
            r.put(f"dominant_nb/stream/w{w:03d}/whiten{int(whiten)}/{tag}", out)


def run_dominant(r: Runner, data: dict[str, Data], inp: Inputs) -> None:
    """dominant_goertzel_nb / dominant_bandpass_nb as ``dominant_cycle_rolling`` (and ``dominant_cycle``) call them."""
    bw = BANDWIDTHS[0]
    for w in SCAN_WINDOWS:
        grid = inp[f"spectral/grid/w{w:03d}"]
        for tag, d in data.items():
            x = hl2(d)
            for whiten in (False, True):
                sfx = f"w{w:03d}/whiten{int(whiten)}/{tag}"
                args = (x, grid, w, True, True, w, whiten)
                per, share = r.call("dominant_goertzel_nb", spectral.dominant_goertzel_nb, *args)
                r.put(f"dominant_goertzel_nb/period/{sfx}", per)
                r.put(f"dominant_goertzel_nb/share/{sfx}", share)
                per, share, power = r.call(
                    "dominant_bandpass_nb", spectral.dominant_bandpass_nb, x, grid, bw, w, whiten
                )
                r.put(f"dominant_bandpass_nb/period/{sfx}", per)
                r.put(f"dominant_bandpass_nb/share/{sfx}", share)
                r.put(f"dominant_bandpass_nb/power/{sfx}", power)
                if whiten:  # dominant_cycle(method="hurst") ranks the last bar's bank power
                    peak_helpers(r, f"bandpass/w{w:03d}/{tag}", grid, power)


# --- astro ------------------------------------------------------------------------------------
def astro_table(inp: Inputs, body: str) -> tuple[np.ndarray, float, float, bool]:
    """(data, t0, step, deflect) typed as ``astro_tables.Table`` holds them (float, float, bool)."""
    k = f"astro/table/{body}/"
    return inp[k + "data"], float(inp[k + "t0"]), float(inp[k + "step"]), bool(inp[k + "deflect"])


def run_astro_parts(r: Runner, inp: Inputs) -> None:
    """tt_from_utc_nb as ``astro.tt_days`` calls it, and the scalar helpers."""
    ns = inp["astro/utc_ns"]
    out = np.empty(ns.shape[0])
    start, end = inp["astro/time/start"], inp["astro/time/end"]
    r.call("tt_from_utc_nb", astro.tt_from_utc_nb, ns, int(inp["astro/time/first_day"]), start, end, out)
    r.put("tt_from_utc_nb/utc_ns", out)
    us = np.concatenate([np.linspace(-0.5, astro.ORDER - 0.5, 41), np.arange(astro.ORDER, dtype=np.float64)])
    for want_d in (False, True):
        ws = np.empty((us.shape[0], astro.ORDER))
        dws = np.zeros((us.shape[0], astro.ORDER))
        for i, u in enumerate(us.tolist()):
            r.call("lagrange_weights_nb", astro.lagrange_weights_nb, u, ws[i], dws[i], want_d)
        r.put(f"lagrange_weights_nb/w/d{int(want_d)}", ws)
        if want_d:
            r.put("lagrange_weights_nb/dw/d1", dws)
    tt = inp["astro/tt/random"]
    tt = tt[np.isfinite(tt)].tolist()
    r.put("lahiri_nb/random", [r.call("lahiri_nb", astro.lahiri_nb, t) for t in tt])
    r.put("lahiri_rate_nb/random", [r.call("lahiri_rate_nb", astro.lahiri_rate_nb, t) for t in tt])
    for body in ASTRO_BODIES:
        if f"astro/deflect_rows/{body}" not in inp:
            continue
        tab = astro_table(inp, body)[0]
        rows = inp[f"astro/deflect_rows/{body}"]
        # as astro_tables.interpolation_error: numpy float64 scalars (lon, lat, dist, sun lon, lat, dist)
        res = [r.call("sun_deflection_nb", astro.sun_deflection_nb, *tab[i, [0, 2, 3, 4, 5, 6]]) for i in rows]
        r.put(f"sun_deflection_nb/{body}", res)


def run_astro_longitude(r: Runner, inp: Inputs) -> None:
    """longitude_nb as ``astro.evaluate`` calls it (speed_out empty without want_speed)."""
    for body in ASTRO_BODIES:
        data, t0, step, deflect = astro_table(inp, body)
        sets = sorted(k for k in inp if k.startswith("astro/tt/") and (k.count("/") == 2 or k.endswith(f"/{body}")))
        for name in sets:
            tt = inp[name]
            label = name.removeprefix("astro/tt/").removesuffix(f"/{body}")
            for sidereal, want_speed in itertools.product((False, True), repeat=2):
                lon = np.empty(tt.shape[0])
                spd = np.empty(tt.shape[0] if want_speed else 0)
                r.call("longitude_nb", astro.longitude_nb, data, t0, step, tt, deflect, sidereal, want_speed, lon, spd)
                sfx = f"{body}/{label}/{'sidereal' if sidereal else 'tropical'}"
                r.put(f"longitude_nb/lon/{sfx}/speed{int(want_speed)}", lon)
                if want_speed:
                    r.put(f"longitude_nb/speed/{sfx}", spd)


def build_inputs() -> Inputs:
    """The spectral grids and the astro tables and instants, from the real code (dump only: pandas, skyfield)."""
    from uptrade.indicators import astro_tables as at
    from uptrade.indicators import spectral as spectral_py

    inp: Inputs = {"spectral/periods/hurst": np.array(list(spectral_py.HURST_CYCLES.values()), dtype=np.float64)}
    for w in SCAN_WINDOWS:  # as dominant_cycle(_rolling) with min_period 8, max_period None, 16 per octave
        lo, hi, ww, ppo = spectral_py._scan_args(8.0, None, w, 16)
        inp[f"spectral/grid/w{w:03d}"] = spectral_py.period_grid(lo, hi, ppo, ww)

    tt_tab = at.time_table()
    inp["astro/time/first_day"] = np.array(tt_tab.first_day, dtype=np.int64)
    inp["astro/time/start"] = tt_tab.start
    inp["astro/time/end"] = tt_tab.end
    rng = np.random.default_rng(20240611)

    def ns(text: str) -> int:
        return int(np.datetime64(text, "ns").astype(np.int64))

    lo_ns, hi_ns = ns("1900-01-01"), ns("2051-01-01")  # astro.VALID_START .. VALID_END
    edges = ["1900-01-01", "1900-01-01T00:00:00.000000001", "1969-12-31T23:59:59.999999999", "1970-01-01",
             "1971-12-31T12:00", "1971-12-31T23:59:59.999999999", "1972-01-01", "1972-06-30T23:59:59.999999999",
             "1972-07-01", "2000-01-01T11:58:55.816", "2016-12-31T23:59:59.999999999", "2017-01-01",
             "2050-12-31T23:59:59.999999999"]  # fmt: skip
    utc = np.concatenate(
        [
            rng.integers(lo_ns, hi_ns, N_UTC, dtype=np.int64),
            np.array([ns(e) for e in edges], dtype=np.int64),
            np.array([np.iinfo(np.int64).min] * 2, dtype=np.int64),  # NaT
        ]
    )
    utc[[5, 500]] = np.iinfo(np.int64).min
    inp["astro/utc_ns"] = utc

    tables = {b: at.table(b) for b in ASTRO_BODIES}
    for body, tab in tables.items():
        k = f"astro/table/{body}/"
        inp[k + "data"] = tab.data
        inp[k + "t0"] = np.array(tab.t0, dtype=np.float64)
        inp[k + "step"] = np.array(tab.step, dtype=np.float64)
        inp[k + "deflect"] = np.array(tab.deflect)

    # random TT 1900-2050, exact grid nodes (multiples of every step), out-of-table and NaN instants
    t0 = at.T_START
    rand = np.sort(rng.uniform(-36524.0, 18627.0, N_TT))
    nodes = t0 + 2.0 * np.array([3, 4, 5, 1000, 9000, 13000])
    outside = np.array([t0 - 10.0, t0, t0 + 1.0, t0 + 2.9, at.T_END + 5.0, at.T_END + 1000.0, np.nan])
    inp["astro/tt/random"] = np.concatenate([rand, nodes, outside])

    def sep_deg(tab: np.ndarray) -> np.ndarray:
        """Approximate angular distance body - Sun at the table rows (for picking conjunctions)."""
        dlon = (tab[:, 0] - tab[:, 4] + 180.0) % 360.0 - 180.0
        return np.hypot(dlon * np.cos(np.radians(tab[:, 2])), tab[:, 2] - tab[:, 5])

    for body in ("mercury", "jupiter"):
        tab = tables[body]
        sep = sep_deg(tab.data)
        behind = tab.data[:, 3] > tab.data[:, 6]
        picks = [int(np.argmin(np.where(behind, sep, np.inf)))]  # closest passage behind the Sun (inside the disc)
        if body == "mercury":
            picks.append(int(np.argmin(np.where(behind, np.inf, sep))))  # inferior conjunction (transit)
        dense = [tab.t0 + tab.step * i + np.linspace(-1.0, 1.0, 2001) for i in picks]
        inp[f"astro/tt/conj/{body}"] = np.concatenate(dense)
        rows = np.concatenate(
            [np.arange(i - 20, i + 21) for i in picks] + [rng.integers(10, tab.data.shape[0] - 10, 200)]
        )
        inp[f"astro/deflect_rows/{body}"] = rows.astype(np.int64)
    for body in ("mercury", "jupiter", "true_node"):  # stations: the tabulated longitude turns
        tab = tables[body]
        d = np.diff(tab.data[:, 0])
        i = np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0) + 1
        i = i[tab.t0 + tab.step * i > 0.0][:3]  # the first three after J2000
        dense = [tab.t0 + tab.step * k + np.linspace(-1.5, 1.5, 301) for k in i]
        inp[f"astro/tt/stations/{body}"] = np.concatenate(dense)
    return {k: np.ascontiguousarray(v) if v.ndim else v for k, v in inp.items()}


# leaves first, so each first-call time is mostly the entry point's own compilation
GROUPS: tuple[Callable[[Runner, dict[str, Data]], None], ...] = (
    run_rolling,
    run_ma_step,
    run_ma_batch,
    run_ma_2d,
    run_osc_parts,
    run_sniper,
    run_vzo,
)


# groups that run on the saved inputs (spectral grids, astro tables and instants), same order rule
INPUT_GROUPS: tuple[Callable[[Runner, dict[str, Data], Inputs], None], ...] = (
    run_spectral_parts,
    run_goertzel,
    run_spectral_peaks,
    run_goertzel_stream,
    run_dominant,
)
ASTRO_GROUPS: tuple[Callable[[Runner, Inputs], None], ...] = (run_astro_parts, run_astro_longitude)


def compute(inputs: Inputs) -> Runner:
    clean = load_candles()
    data = {"clean": clean, "gap": with_holes(clean)}
    r = Runner()
    runs: list[tuple[str, Callable[[], None]]] = [(g.__name__, partial(g, r, data)) for g in GROUPS]
    runs += [(g.__name__, partial(g, r, data, inputs)) for g in INPUT_GROUPS]
    runs += [(g.__name__, partial(g, r, inputs)) for g in ASTRO_GROUPS]
    for name, run in runs:
        try:
            run()
        except Exception as exc:  # a compile error must not hide the other groups' results
            r.failures[name] = "".join(traceback.format_exception(exc))
    return r


# --- bookkeeping ----------------------------------------------------------------------------
def versions() -> dict[str, str]:
    import llvmlite

    return {
        "python": platform.python_version(),
        "numba": numba.__version__,
        "llvmlite": llvmlite.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
    }


def entry_of(key: str) -> str:
    return key.split("/", 1)[0]


def print_header(title: str, v: dict[str, str]) -> None:
    print(f"== {title}: python {v['python']}, numba {v['numba']}, llvmlite {v['llvmlite']}, numpy {v['numpy']}")
    print(f"   NUMBA_CACHE_DIR={numba.config.CACHE_DIR or '(default)'}, kernels {KERNELS}")


def module_times(first_call: dict[str, float], module: dict[str, str]) -> dict[str, tuple[int, float]]:
    """Kernel module -> (entry points, sum of their first-call times)."""
    out: dict[str, tuple[int, float]] = {}
    for entry, seconds in first_call.items():
        m = module.get(entry, "?")
        n, total = out.get(m, (0, 0.0))
        out[m] = (n + 1, total + seconds)
    return out


def print_failures(failures: dict[str, str]) -> None:
    for group, tb in failures.items():
        print(f"\n!! {group} raised:\n{tb}")


# --- commands -------------------------------------------------------------------------------
def dump(path: Path) -> int:
    v = versions()
    print_header("dump", v)
    t0 = perf_counter()
    try:
        inputs = build_inputs()
    except Exception as exc:
        print_failures({"build_inputs": "".join(traceback.format_exception(exc))})
        print("\nFAILED: no reference written")
        return 1
    size = sum(a.nbytes for a in inputs.values()) / 1e6
    print(f"   {len(inputs)} inputs ({size:.1f} MB) built in {perf_counter() - t0:.1f} s")
    t0 = perf_counter()
    r = compute(inputs)
    print(f"   {len(r.out)} arrays in {perf_counter() - t0:.1f} s")
    print(f"\n{'entry point':<22} {'arrays':>6} {'first call s':>13}")
    counts: dict[str, int] = {}
    for key in r.out:
        counts[entry_of(key)] = counts.get(entry_of(key), 0) + 1
    for entry, seconds in r.first_call.items():
        print(f"{entry:<22} {counts.get(entry, 0):>6} {seconds:>13.3f}")
    print(f"\n{'kernel module':<22} {'entries':>7} {'first calls s':>13}")
    for m, (n, total) in module_times(r.first_call, r.module).items():
        print(f"{m:<22} {n:>7} {total:>13.3f}")
    if r.failures:
        print_failures(r.failures)
        print("\nFAILED: no reference written")
        return 1
    meta = {
        "versions": v,
        "first_call": r.first_call,
        "modules": r.module,
        "sources": SOURCES,
        "rows": ROWS,
        "data": str(DATA),
        "inputs": sorted(inputs),
    }
    saved_inputs = {INPUT + k: a for k, a in inputs.items()}
    np.savez_compressed(path, **r.out, **saved_inputs, **{META: np.array(json.dumps(meta))})
    print(f"\nwrote {path}")
    return 0


def compare_arrays(ref: np.ndarray, got: np.ndarray) -> tuple[float, str]:
    """(max relative difference, problem or "") of one output."""
    if ref.dtype != got.dtype:
        return np.inf, f"dtype {got.dtype} != reference {ref.dtype}"
    if ref.shape != got.shape:
        return np.inf, f"shape {got.shape} != reference {ref.shape}"
    a, b = ref.ravel(), got.ravel()
    if ref.dtype.kind == "f":
        return compare_floats(a, b)
    if ref.dtype.kind == "c":  # real and imaginary parts, each by the float rule
        (w_re, p_re), (w_im, p_im) = compare_floats(a.real, b.real), compare_floats(a.imag, b.imag)
        problem = "; ".join(f"{part}: {p}" for part, p in (("real", p_re), ("imag", p_im)) if p)
        return max(w_re, w_im), problem
    bad = np.flatnonzero(a != b)
    if bad.size:
        i = bad[0]
        return np.inf, f"{bad.size} values differ, first at flat index {i}: {b[i]} vs ref {a[i]}"
    return 0.0, ""


def compare_floats(a: np.ndarray, b: np.ndarray) -> tuple[float, str]:
    """Reference ``a`` against ``b``: same NaN and infinity positions, finite values within RTOL."""
    nan_a = np.isnan(a)
    special = np.flatnonzero((nan_a != np.isnan(b)) | (~nan_a & ~np.isfinite(a + b) & (a != b)))
    if special.size:
        i = special[0]
        return np.inf, f"NaN/inf positions differ at {special.size} places, first at index {i}: {b[i]} vs ref {a[i]}"
    fin = np.flatnonzero(np.isfinite(a))
    diff = np.abs(a[fin] - b[fin])
    scale = np.maximum(np.abs(a[fin]), np.abs(b[fin]))
    rel = np.divide(diff, scale, out=np.zeros_like(diff), where=diff > 0)
    worst = float(rel.max()) if rel.size else 0.0
    if worst > RTOL:
        i = fin[int(np.argmax(rel))]
        n_bad = int((rel > RTOL).sum())
        return worst, f"{n_bad} values beyond {RTOL:g} relative, worst at flat index {i}: {b[i]!r} vs ref {a[i]!r}"
    return worst, ""


def compare(path: Path) -> int:
    with np.load(path, allow_pickle=False) as z:
        ref = {k: z[k] for k in z.files}
    meta = json.loads(str(ref.pop(META)))
    inputs = {k.removeprefix(INPUT): ref.pop(k) for k in [k for k in ref if k.startswith(INPUT)]}
    v = versions()
    print_header("reference", meta["versions"])
    print_header("this run ", v)
    changed = sorted(k for k in SOURCES.keys() | meta["sources"].keys() if SOURCES.get(k) != meta["sources"].get(k))
    if changed:
        print(f"!! kernel sources differ from the reference's ({', '.join(changed)}): differences may be edits")
    print(f"   {len(inputs)} saved inputs ({sum(a.nbytes for a in inputs.values()) / 1e6:.1f} MB)")
    t0 = perf_counter()
    r = compute(inputs)
    print(f"   {len(r.out)} arrays in {perf_counter() - t0:.1f} s")

    problems: list[str] = []
    missing = sorted(set(ref) - set(r.out))
    extra = sorted(set(r.out) - set(ref))
    problems += [f"{k}: not computed in this run" for k in missing]
    problems += [f"{k}: not in the reference" for k in extra]
    stats: dict[str, list[float]] = {}  # entry -> [arrays, worst rel, mismatching arrays, identical arrays]
    for key in sorted(set(ref) & set(r.out)):
        worst, problem = compare_arrays(ref[key], r.out[key])
        s = stats.setdefault(entry_of(key), [0, 0.0, 0, 0])
        s[0] += 1
        s[1] = max(s[1], worst)
        s[3] += int(np.array_equal(ref[key], r.out[key], equal_nan=ref[key].dtype.kind in "fc"))
        if problem:
            s[2] += 1
            problems.append(f"{key}: {problem}")

    ref_first = meta["first_call"]
    print(f"\n{'entry point':<22} {'arrays':>6} {'bit-equal':>9} {'max rel diff':>12} {'bad':>4} {'first call s':>13}")
    print(f"{'':<22} {'':>6} {'':>9} {'':>12} {'':>4} {'ref':>6} {'this':>6}")
    for entry in sorted(set(ref_first) | set(r.first_call) | set(stats), key=lambda e: e.split("[")[0]):
        arrays, worst, bad, same = stats.get(entry, [0, 0.0, 0, 0])
        rel = f"{worst:12.2e}" if arrays else f"{'-':>12}"
        tr = ref_first.get(entry)
        tt = r.first_call.get(entry)
        times = f"{tr if tr is None else f'{tr:.3f}':>6} {tt if tt is None else f'{tt:.3f}':>6}"
        print(f"{entry:<22} {arrays:>6} {same:>9} {rel} {bad:>4} {times}")
    tot = [sum(s[0] for s in stats.values()), max((s[1] for s in stats.values()), default=0.0)]
    tot += [sum(s[2] for s in stats.values()), sum(s[3] for s in stats.values())]
    print(f"{'total':<22} {tot[0]:>6} {tot[3]:>9} {tot[1]:12.2e} {tot[2]:>4}")

    ref_mod = module_times(ref_first, meta.get("modules", r.module))
    this_mod = module_times(r.first_call, r.module)
    print(f"\n{'kernel module':<22} {'entries':>7} {'first calls s':>13}")
    print(f"{'':<22} {'':>7} {'ref':>6} {'this':>6}")
    for m in sorted(ref_mod.keys() | this_mod.keys()):
        n = max(ref_mod.get(m, (0, 0.0))[0], this_mod.get(m, (0, 0.0))[0])
        tr, tt = (f"{d[m][1]:.3f}" if m in d else "-" for d in (ref_mod, this_mod))
        print(f"{m:<22} {n:>7} {tr:>6} {tt:>6}")

    if r.failures:
        print_failures(r.failures)
    if problems:
        print(f"\n{len(problems)} mismatch(es):")
        for line in problems[:200]:
            print(f"  {line}")
        if len(problems) > 200:
            print(f"  ... and {len(problems) - 200} more")
    if source_hashes() != SOURCES:
        print("\n!! kernel sources were edited during this run (the version imported at start was used)")
    if r.failures or problems:
        print("\nFAILED" + (f" (sources differ from the reference's: {', '.join(changed)})" if changed else ""))
        return 1
    print(f"\nOK: {len(ref)} arrays agree (NaN positions identical, floats within {RTOL:g} relative)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dump", help="compute every output and save it").add_argument("out", type=Path)
    sub.add_parser("compare", help="recompute and compare with a dump").add_argument("ref", type=Path)
    args = parser.parse_args(argv)
    return dump(args.out) if args.command == "dump" else compare(args.ref)


if __name__ == "__main__":
    sys.exit(main())
