"""Trading-pair symbols in the three forms UpTrade meets.

* Polygon: ``X:BTCUSD`` (crypto) or ``C:EURUSD`` (forex), base and quote glued together;
* Hummingbot: ``BTC-USDT``; this is also the canonical form the store keys rows by;
* ccxt: ``BTC/USDT`` (a ``:SETTLE`` suffix for derivatives is kept on the ccxt form).

Splitting a glued Polygon pair needs to know the quote currency, so the known quotes are listed
here, longest first.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass

from uptrade.errors import NoDataError, SymbolError

#: Quote currencies recognised when splitting a glued pair such as ``BTCUSDT``.
KNOWN_QUOTES: tuple[str, ...] = tuple(
    sorted(
        (
            "USDT",
            "USDC",
            "FDUSD",
            "TUSD",
            "BUSD",
            "DAI",
            "USD",
            "EUR",
            "GBP",
            "JPY",
            "AUD",
            "CAD",
            "CHF",
            "TRY",
            "BRL",
            "BTC",
            "ETH",
            "BNB",
            "SOL",
        ),
        key=len,
        reverse=True,
    )
)
_ASSET = re.compile(r"^[A-Z0-9]{1,20}$")


@dataclass(frozen=True)
class Symbol:
    """A base/quote pair; ``settle`` is set for ccxt derivatives (``BTC/USDT:USDT``)."""

    base: str
    quote: str
    settle: str | None = None

    @property
    def hummingbot(self) -> str:
        """``BTC-USDT``."""
        return f"{self.base}-{self.quote}"

    @property
    def ccxt(self) -> str:
        """``BTC/USDT`` (or ``BTC/USDT:USDT`` for a settled derivative)."""
        pair = f"{self.base}/{self.quote}"
        return f"{pair}:{self.settle}" if self.settle else pair

    @property
    def polygon(self) -> str:
        """``X:BTCUSDT``."""
        return f"X:{self.base}{self.quote}"

    @property
    def canonical(self) -> str:
        """The form the store uses (the Hummingbot form)."""
        return self.hummingbot

    def __str__(self) -> str:
        return self.canonical


def _split_glued(pair: str, original: str) -> tuple[str, str]:
    for quote in KNOWN_QUOTES:
        if pair.endswith(quote) and len(pair) > len(quote):
            return pair[: -len(quote)], quote
    raise SymbolError(
        f"cannot split {original!r} into base and quote; write it as BASE-QUOTE (e.g. BTC-USDT) "
        f"or use a known quote currency: {', '.join(sorted(KNOWN_QUOTES))}"
    )


def parse_symbol(value: str | Symbol) -> Symbol:
    """Parse any of the three forms (case-insensitive) or raise :class:`SymbolError`."""
    if isinstance(value, Symbol):
        return value
    text = str(value).strip().upper()
    settle = None
    if re.match(r"^[XC]:", text):
        base, quote = _split_glued(text[2:], str(value))
    elif "/" in text:
        pair, _, settle = text.partition(":")
        base, _, quote = pair.partition("/")
        settle = settle or None
    elif "-" in text:
        base, _, quote = text.partition("-")
    elif "_" in text:
        base, _, quote = text.partition("_")
    else:
        base, quote = _split_glued(text, str(value))
    for part, what in ((base, "base"), (quote, "quote"), (settle, "settle")):
        if part is not None and not _ASSET.match(part):
            raise SymbolError(
                f"invalid {what} asset {part!r} in symbol {value!r}; expected forms: "
                "X:BTCUSD (Polygon), BTC-USDT (Hummingbot), BTC/USDT (ccxt)"
            )
    return Symbol(base, quote, settle)


@functools.lru_cache(maxsize=4096)
def canonical_symbol(value: str | Symbol) -> str:
    """The store's key for ``value``: ``btc/usdt``, ``X:BTCUSDT`` and ``BTC-USDT`` all give ``BTC-USDT``.

    Cached (a pure function of its argument): every write asks it once per series.
    """
    return parse_symbol(value).canonical


@functools.lru_cache(maxsize=4096)
def to_polygon(value: str | Symbol) -> str:
    """Any form to ``X:BASEQUOTE`` (cached, as :func:`canonical_symbol`: live feeds ask it every poll)."""
    return parse_symbol(value).polygon


def to_hummingbot(value: str | Symbol) -> str:
    """Any form to ``BASE-QUOTE``."""
    return parse_symbol(value).hummingbot


def to_ccxt(value: str | Symbol) -> str:
    """Any form to ``BASE/QUOTE``."""
    return parse_symbol(value).ccxt


def unknown_symbol(value: str, stored: list[str]) -> NoDataError:
    """The error for a symbol the store does not hold: what it holds and the closest names.

    An empty store says how to load candles instead. Suggestions come from ``difflib`` on the
    canonical form and on the base asset alone (``BTC`` and ``BTCUSD`` suggest ``BTC-USDT``).
    """
    if not stored:
        return NoDataError(
            f"unknown symbol {value}: no candles are stored yet; load some with `uptrade demo` "
            "or `uptrade data import FILE -s SYMBOL -t TIMEFRAME`"
        )
    try:
        key = canonical_symbol(value)
    except SymbolError:
        key = str(value).strip().upper()
    bases = difflib.get_close_matches(key.split("-")[0], {s.split("-")[0] for s in stored}, n=3, cutoff=0.6)
    similar = difflib.get_close_matches(key, stored, n=3, cutoff=0.8)
    close = list(dict.fromkeys(similar + [s for s in stored if s.split("-")[0] in bases]))[:3]
    shown = ", ".join(stored[:12]) + (f" and {len(stored) - 12} more" if len(stored) > 12 else "")
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return NoDataError(f"unknown symbol {value} (stored: {shown}{hint})")
