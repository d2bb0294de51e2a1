"""Check that the numba kernels (``uptrade.indicators.nb``) give the same results under Hummingbot's stack.

Hummingbot runs Python 3.12, numba 0.61.2 and numpy 2.2, older than the dev environment. This
script calls every public kernel entry point (rolling, MA machines and batch kernels, the 2-D
sweep, SniperProX and VZOProX in batch and streaming form) on fixed inputs: 5000 real BTCUSDT 1h
candles, once clean and once with leading NaNs and NaN holes. ``dump`` saves every output;
``compare`` recomputes them in the running interpreter and checks them against the saved ones
(same keys, dtypes and NaN positions, floats within 1e-12 relative, bools and ints identical),
printing the versions, the max relative difference and the first-call (compile) time per entry
point; it exits 1 on any mismatch or failure. Only numpy, numba and the standard library are
imported (no pandas), so a bare ``pip install numba==0.61.2 "numpy>=2.2,<2.3"`` venv is enough.

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
from pathlib import Path
from time import perf_counter
from typing import Any

import numba
import numpy as np

from uptrade.indicators.nb import ma_batch, ma_step, osc, rolling

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

# Parameter vectors in the order of sniper.sniper_params / vzo.vzo_params (see the comments
# above sniper_layout_nb / vzo_layout_nb in nb/osc.py). "default" is each indicator's DEFAULTS.
# SniperProX: length, ma_code, phase, power, obos, trail, dmi_len, dmi_code, adx_thresh,
#             vol_avg_len, vol_per_thresh, data_sample, pcnt_above, pcnt_below
SNIPER_PARAMS = {
    "default": (28, 8, 0.0, 2.0, 1.386, 0.986, 14, 3, 20.0, 20, 50.0, 55, 88.0, 88.0),
    "ema_dmi_sma": (14, 1, 0.0, 2.0, 1.0, 0.8, 10, 0, 25.0, 10, 80.0, 40, 80.0, 90.0),
    "t3_dmi_jma": (10, 12, 0.0, 2.0, 1.386, 0.986, 9, 8, 20.0, 30, 50.0, 30, 75.0, 70.0),
}
# VZOProX: vzo_length, ma_code, phase, power, noise_length, data_sample, pcnt_above, pcnt_below,
#          minor_sell_val, minor_buy_val, minor_major_range, zero_cross_filter_range
VZO_PARAMS = {
    "default": (14, 8, 50.0, 2.0, 2, 55, 80.0, 80.0, 40.0, -40.0, 20.0, 20.0),
    "ema": (14, 1, 0.0, 2.0, 1, 55, 80.0, 80.0, 40.0, -40.0, 20.0, 20.0),
    "hma": (21, 6, 0.0, 2.0, 3, 40, 70.0, 85.0, 35.0, -45.0, 10.0, 5.0),
}

Data = dict[str, np.ndarray]
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
        self.failures: dict[str, str] = {}

    def call(self, entry: str, fn: Callable[..., Any], *args: Any) -> Any:
        if entry in self.first_call:
            return fn(*args)
        t0 = perf_counter()
        res = fn(*args)
        self.first_call[entry] = perf_counter() - t0
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
            r.put(f"stoch_nb/w{w:02d}/{tag}", r.call("stoch_nb", osc.stoch_nb, hi, lo, cl, w, np.empty_like(cl)))
        for code in (3, 0, 8):
            res = np.empty((3, cl.shape[0]))
            r.call("dmi_nb", osc.dmi_nb, hi, lo, cl, 14, code, res[0], res[1], res[2])
            r.put(f"dmi_nb/c{code:02d}/{tag}", res)


def run_sniper(r: Runner, data: dict[str, Data]) -> None:
    nf, nb = len(osc.SNIPER_FLOATS), len(osc.SNIPER_BOOLS)
    for name, params in SNIPER_PARAMS.items():
        p = np.array(params, dtype=np.float64)
        for tag, d in data.items():
            n = d["close"].shape[0]
            fo = np.empty((nf, n))
            bo = np.empty((nb, n), dtype=np.bool_)
            sig = np.empty(n, dtype=np.int8)
            r.call("sniper_nb", osc.sniper_nb, p, d["high"], d["low"], d["close"], d["volume"], fo, bo, sig)
            r.put(f"sniper_nb/fo/{name}/{tag}", fo)
            r.put(f"sniper_nb/bo/{name}/{tag}", bo)
            r.put(f"sniper_nb/sig/{name}/{tag}", sig)
            # streaming, as SniperProXStream.update does
            lay = r.call("sniper_layout_nb", osc.sniper_layout_nb, p)
            st = np.empty(int(lay[-1]))
            r.call("sniper_init_nb", osc.sniper_init_nb, p, lay, st)
            frow = np.empty(nf)
            brow = np.empty(nb, dtype=np.bool_)
            sfo = np.empty((nf, n))
            sbo = np.empty((nb, n), dtype=np.bool_)
            ssig = np.empty(n, dtype=np.int64)
            bars = zip(*(d[f].tolist() for f in FIELDS), strict=True)
            for i, (h, lw, c, v) in enumerate(bars):
                ssig[i] = r.call("sniper_step_nb", osc.sniper_step_nb, p, lay, st, h, lw, c, v, frow, brow)
                sfo[:, i] = frow
                sbo[:, i] = brow
            r.put(f"sniper_layout_nb/{name}", lay)
            r.put(f"sniper_step_nb/fo/{name}/{tag}", sfo)
            r.put(f"sniper_step_nb/bo/{name}/{tag}", sbo)
            r.put(f"sniper_step_nb/sig/{name}/{tag}", ssig)
            r.put(f"sniper_step_nb/state/{name}/{tag}", st)


def run_vzo(r: Runner, data: dict[str, Data]) -> None:
    nf, nb = len(osc.VZO_FLOATS), len(osc.VZO_BOOLS)
    for name, params in VZO_PARAMS.items():
        p = np.array(params, dtype=np.float64)
        for tag, d in data.items():
            n = d["close"].shape[0]
            fo = np.empty((nf, n))
            bo = np.empty((nb, n), dtype=np.bool_)
            sig = np.empty(n, dtype=np.int8)
            r.call("vzo_nb", osc.vzo_nb, p, d["close"], d["volume"], fo, bo, sig)
            r.put(f"vzo_nb/fo/{name}/{tag}", fo)
            r.put(f"vzo_nb/bo/{name}/{tag}", bo)
            r.put(f"vzo_nb/sig/{name}/{tag}", sig)
            lay = r.call("vzo_layout_nb", osc.vzo_layout_nb, p)
            st = np.empty(int(lay[-1]))
            r.call("vzo_init_nb", osc.vzo_init_nb, p, lay, st)
            frow = np.empty(nf)
            brow = np.empty(nb, dtype=np.bool_)
            sfo = np.empty((nf, n))
            sbo = np.empty((nb, n), dtype=np.bool_)
            ssig = np.empty(n, dtype=np.int64)
            bars = zip(d["close"].tolist(), d["volume"].tolist(), strict=True)
            for i, (c, v) in enumerate(bars):
                ssig[i] = r.call("vzo_step_nb", osc.vzo_step_nb, p, lay, st, c, v, frow, brow)
                sfo[:, i] = frow
                sbo[:, i] = brow
            r.put(f"vzo_layout_nb/{name}", lay)
            r.put(f"vzo_step_nb/fo/{name}/{tag}", sfo)
            r.put(f"vzo_step_nb/bo/{name}/{tag}", sbo)
            r.put(f"vzo_step_nb/sig/{name}/{tag}", ssig)
            r.put(f"vzo_step_nb/state/{name}/{tag}", st)


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


def compute() -> Runner:
    clean = load_candles()
    data = {"clean": clean, "gap": with_holes(clean)}
    r = Runner()
    for group in GROUPS:
        try:
            group(r, data)
        except Exception as exc:  # a compile error must not hide the other groups' results
            r.failures[group.__name__] = "".join(traceback.format_exception(exc))
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


def print_failures(failures: dict[str, str]) -> None:
    for group, tb in failures.items():
        print(f"\n!! {group} raised:\n{tb}")


# --- commands -------------------------------------------------------------------------------
def dump(path: Path) -> int:
    v = versions()
    print_header("dump", v)
    t0 = perf_counter()
    r = compute()
    print(f"   {len(r.out)} arrays in {perf_counter() - t0:.1f} s")
    print(f"\n{'entry point':<22} {'arrays':>6} {'first call s':>13}")
    counts: dict[str, int] = {}
    for key in r.out:
        counts[entry_of(key)] = counts.get(entry_of(key), 0) + 1
    for entry, seconds in r.first_call.items():
        print(f"{entry:<22} {counts.get(entry, 0):>6} {seconds:>13.3f}")
    if r.failures:
        print_failures(r.failures)
        print("\nFAILED: no reference written")
        return 1
    meta = {"versions": v, "first_call": r.first_call, "sources": SOURCES, "rows": ROWS, "data": str(DATA)}
    np.savez_compressed(path, **r.out, **{META: np.array(json.dumps(meta))})
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
    v = versions()
    print_header("reference", meta["versions"])
    print_header("this run ", v)
    changed = sorted(k for k in SOURCES.keys() | meta["sources"].keys() if SOURCES.get(k) != meta["sources"].get(k))
    if changed:
        print(f"!! kernel sources differ from the reference's ({', '.join(changed)}): differences may be edits")
    t0 = perf_counter()
    r = compute()
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
        s[3] += int(np.array_equal(ref[key], r.out[key], equal_nan=ref[key].dtype.kind == "f"))
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
