"""One logging set-up for UpTrade: ``key=value`` lines on stderr that are easy to grep.

Use the standard library: ``log = logging.getLogger(__name__)`` and pass fields as ``extra``::

    log.info("ohlcv written", extra={"symbol": "BTC-USDT", "rows": 1000})

gives ``ts=2026-01-01T00:00:00Z level=INFO logger=uptrade.data.store event="ohlcv written"
symbol=BTC-USDT rows=1000``.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Any

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "taskName"}


def _quote(value: Any) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    """Formats a record as ``ts=… level=… logger=… event="…" key=value …``."""

    converter: Callable[[float | None], time.struct_time] = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            f"ts={self.formatTime(record, '%Y-%m-%dT%H:%M:%SZ')}",
            f"level={record.levelname}",
            f"logger={record.name}",
            f"event={_quote(record.getMessage())}",
        ]
        parts += [f"{k}={_quote(v)}" for k, v in record.__dict__.items() if k not in _STANDARD]
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)


_HANDLER_NAME = "uptrade-kv"


def setup_logging(level: str | int = "WARNING", stream: Any = None) -> logging.Logger:
    """Attach the key=value handler to the ``uptrade`` logger (idempotent) and set its level."""
    logger = logging.getLogger("uptrade")
    logger.setLevel(level)
    for handler in list(logger.handlers):
        if handler.get_name() == _HANDLER_NAME:
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(KeyValueFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    return logger
