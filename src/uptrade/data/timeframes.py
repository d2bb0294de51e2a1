"""Timeframes: the one place where `1m 5m 15m 30m 1h 4h 1d 1w` are parsed and validated.

Buckets are aligned to the Unix epoch in UTC, except weeks, which start on Monday 00:00 UTC
(as on Binance and in TimescaleDB's ``time_bucket``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import total_ordering

from uptrade.errors import TimeframeError

_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "4h": 14400, "1d": 86400, "1w": 604800}
_ALIASES = {"1min": "1m", "60m": "1h", "60min": "1h", "240m": "4h", "24h": "1d", "1day": "1d", "7d": "1w"}
#: Monday 1970-01-05 00:00 UTC: the origin of weekly buckets.
WEEK_ORIGIN = 4 * 86400


@total_ordering
@dataclass(frozen=True)
class Timeframe:
    """A supported bar interval, ordered by duration."""

    name: str
    seconds: int

    @property
    def origin(self) -> int:
        """Epoch second that bucket boundaries are counted from."""
        return WEEK_ORIGIN if self.name == "1w" else 0

    def floor(self, epoch_s: int) -> int:
        """Start of the bucket that contains ``epoch_s``."""
        return epoch_s - (epoch_s - self.origin) % self.seconds

    def is_aligned(self, epoch_s: int) -> bool:
        """Whether ``epoch_s`` is a bucket boundary."""
        return (epoch_s - self.origin) % self.seconds == 0

    def divides(self, other: Timeframe) -> bool:
        """Whether bars of ``self`` tile bars of ``other`` exactly (so ``other`` can be built from them)."""
        return other.seconds % self.seconds == 0 and (other.origin - self.origin) % self.seconds == 0

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Timeframe):
            return NotImplemented
        return self.seconds < other.seconds

    def __str__(self) -> str:
        return self.name


TIMEFRAMES: tuple[Timeframe, ...] = tuple(Timeframe(n, s) for n, s in _SECONDS.items())
_BY_NAME = {tf.name: tf for tf in TIMEFRAMES}


def parse_timeframe(value: str | Timeframe) -> Timeframe:
    """Parse ``value`` (e.g. ``"1h"``) or raise :class:`TimeframeError` listing the valid ones."""
    if isinstance(value, Timeframe):
        return value
    known = _BY_NAME.get(value)  # the canonical spelling: one dict look-up (live feeds ask every poll)
    if known is not None:
        return known
    raw = str(value).strip()
    if raw.endswith("M"):  # ccxt/Binance spell one month "1M"; never read it as minutes
        raise TimeframeError(
            f"unsupported timeframe {value!r} (months are not supported); valid timeframes: {', '.join(_BY_NAME)}"
        )
    key = _ALIASES.get(raw.lower(), raw.lower())
    try:
        return _BY_NAME[key]
    except KeyError:
        valid = ", ".join(_BY_NAME)
        raise TimeframeError(f"unsupported timeframe {value!r}; valid timeframes: {valid}") from None
