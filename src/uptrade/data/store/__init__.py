"""Candle storage: :func:`open_store` picks the backend from a SQLAlchemy URL.

``sqlite:///path.db`` gives :class:`SQLiteStore` (the embedded default), ``postgresql://...``
gives :class:`PostgresStore` (TimescaleDB features when the extension is there), always on the
psycopg 3 driver.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError

from uptrade.data.store.base import Coverage, Gap, Store, Written
from uptrade.errors import ConfigError

__all__ = ["Coverage", "Gap", "Store", "Written", "normalize_url", "open_store"]


def normalize_url(url: str) -> sa.URL:
    """Parse a database URL, routing PostgreSQL through psycopg 3; clear error otherwise."""
    from uptrade.settings import mask_url

    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"invalid database URL {mask_url(url)!r}; expected e.g. sqlite:///path/uptrade.db "
            "or postgresql://user@host:5432/db"
        ) from None
    name = parsed.drivername
    if name in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if name in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite")
    raise ConfigError(f"unsupported database {name!r} in {mask_url(url)!r}; use sqlite:// or postgresql://")


def open_store(url: str | None = None, *, init: bool = False, timescaledb: bool | None = None) -> Store:
    """Open the store at ``url`` (default: ``UPTRADE_DATABASE_URL`` or the embedded SQLite file).

    Without ``init`` nothing on a server is created or altered, so a read-only or application
    role can open a database that an owner set up: the schema version and the backend's extras
    are checked (:meth:`Store.check`), and a database that is behind gives a
    :class:`~uptrade.errors.StoreError` naming ``uptrade db init``. The embedded SQLite file is
    created on first use. With ``init`` the schema is created or migrated and TimescaleDB set up
    (:meth:`Store.init`, what ``uptrade db init`` runs); ``timescaledb`` then asks for it (True),
    refuses it (False: plain PostgreSQL) or takes it when the server offers it (None).
    """
    if url is None:
        from uptrade.settings import get_settings

        url = get_settings().resolved_database_url()
    parsed = normalize_url(url)
    store: Store
    if parsed.drivername == "sqlite":
        if timescaledb:
            raise ConfigError("timescaledb needs a postgresql:// database; the embedded store is SQLite")
        from uptrade.data.store.sqlite import SQLiteStore, create_sqlite_engine

        store = SQLiteStore(create_sqlite_engine(parsed))
    else:
        from uptrade.data.store.postgres import PostgresStore, create_postgres_engine

        store = PostgresStore(create_postgres_engine(parsed), timescaledb=timescaledb)
    try:
        if init:
            store.init()
        else:
            store.check()
    except BaseException:
        store.close()
        raise
    return store
