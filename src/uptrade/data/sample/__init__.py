"""The candle sample shipped inside the package (see SOURCES.md beside this file)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SAMPLE_SYMBOL = "BTC-USDT"
SAMPLE_TIMEFRAME = "1h"
SAMPLE_FILE = "btcusdt_1h_binance.csv.gz"


def sample_path() -> Path:
    """Path of the bundled BTC/USDT 1h file."""
    return Path(str(files(__name__).joinpath(SAMPLE_FILE)))
