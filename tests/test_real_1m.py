"""Four years of real Binance BTC/USDT 1m candles through every backend (on TimescaleDB, 5m/1h/1d from its aggregates).

The 1m file and the 1h file in shared/data/market come from different sources (LEAN minute
dumps vs freqtrade's download of Binance 1h klines), so aggregating the first in SQL and
comparing it with the second is an independent check of the store's aggregation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import PgDatabases
from tests.helpers import assert_same_candles, resample_oracle
from uptrade.data.store import Store, open_store


@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "timescaledb"])
def test_four_years_of_real_1m_bars(
    backend: str, request: pytest.FixtureRequest, btc_1m: pd.DataFrame, btc_1h: pd.DataFrame, tmp_path: Path
) -> None:
    """One test per backend, so that each loads the 2.1M rows once whichever worker runs it.

    (A module fixture shared by several tests is loaded again on every worker that runs one of
    them, and pytest-xdist's ``loadgroup`` does not keep groups together under pytest 9.)
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'btc1m.db'}"
    else:
        server: PgDatabases = request.getfixturevalue("tsdb" if backend == "timescaledb" else "pg")
        url = server.create("real1m")
    with open_store(url) as store:
        assert store.mode == backend
        assert store.write_ohlcv(btc_1m, "BTC/USDT", "1m") == 2_103_760
        gaps_match_the_documented_outage(store)
        aggregated_1h_matches_the_independent_1h_file(store, btc_1h)
        for target in ("5m", "1h", "1d"):
            aggregates_match_pandas_exactly(store, btc_1m, target)


def gaps_match_the_documented_outage(loaded: Store) -> None:
    gaps = loaded.find_gaps("BTC-USDT", "1m")
    assert [(g.start, g.end, g.missing) for g in gaps] == [
        (pd.Timestamp("2023-03-24T12:40Z"), pd.Timestamp("2023-03-24T13:59Z"), 80)
    ]
    [cov] = loaded.coverage()
    assert (cov.rows, cov.gaps, cov.missing) == (2_103_760, 1, 80)


def aggregated_1h_matches_the_independent_1h_file(loaded: Store, btc_1h: pd.DataFrame) -> None:
    agg = loaded.read_ohlcv("BTC-USDT", "1h")
    common = agg.index.intersection(btc_1h.index)
    assert len(common) == 35_063  # SOURCES.md: the hours the two files share
    a, b = agg.loc[common], btc_1h.loc[common]
    for col in ("open", "high", "low", "close"):
        rel = np.abs(a[col] - b[col]) / b[col]
        assert rel.max() <= 2.5e-7, (col, rel.idxmax(), rel.max())
    vol_rel = (np.abs(a["volume"] - b["volume"]) / b["volume"].where(b["volume"] > 0)).dropna()
    # SOURCES.md: median difference 0, largest 0.4%; our float sums of 60 decimal volumes can
    # differ from the exchange's own decimal sum in the last bits only.
    assert vol_rel.median() < 1e-12
    assert vol_rel.max() < 0.0045  # "0.4%" as SOURCES.md rounds it


def aggregates_match_pandas_exactly(loaded: Store, btc_1m: pd.DataFrame, target: str) -> None:
    window = btc_1m.loc["2023-03-20":"2023-04-02"]  # spans the outage
    got = loaded.read_ohlcv("BTC-USDT", target, start=window.index[0], end=window.index[-1])
    want = resample_oracle(btc_1m, "1m", target).loc[window.index[0] : window.index[-1]]
    assert_same_candles(got, want)
