"""How the store words a database error for a :class:`~uptrade.errors.StoreError` message."""

from __future__ import annotations


def db_reason(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's echo of the statement and parameters."""
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]
