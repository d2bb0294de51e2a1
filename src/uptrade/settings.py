"""Settings from the environment (prefix ``UPTRADE_``) and a ``.env`` file, via pydantic-settings.

Secrets are :class:`~pydantic.SecretStr`: they print as ``**********`` in reprs, logs and error
messages. The database URL may carry a password, so it is a secret too; use
:func:`Settings.display_database_url` to show it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    """Process-wide configuration. Every field can be set as ``UPTRADE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="UPTRADE_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.home() / ".uptrade", description="Data directory.")
    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file <home>/uptrade.db."
    )
    log_level: str = Field(default="WARNING", description="Logging level for the uptrade loggers.")
    polygon_api_key: SecretStr | None = Field(default=None, description="Polygon.io (massive) API key.")
    polygon_base_url: str | None = Field(default=None, description="Polygon API host; default: the client's own.")
    polygon_page_limit: int = Field(default=50_000, ge=1, le=50_000, description="Bars per Polygon request.")
    exchange_urls: dict[str, str] = Field(
        default_factory=dict, description='REST host per exchange, e.g. {"binance": "http://127.0.0.1:8000"}.'
    )
    source_attempts: int = Field(default=5, ge=1, le=50, description="Tries per source request.")
    source_timeout: float = Field(default=30.0, gt=0, description="Connect/read timeout per source request (s).")
    source_backoff: float = Field(default=0.5, gt=0, description="First retry delay of a source request (s).")
    source_max_backoff: float = Field(
        default=30.0, gt=0, description="Longest wait between tries, Retry-After included."
    )
    feeds_file: Path | None = Field(default=None, description="YAML list of feeds for `uptrade data update`.")
    allow_live: bool = Field(
        default=False, description="Allow bots in live mode (real orders); a live start also needs a confirmation."
    )

    hbapi_url: str = Field(default="http://127.0.0.1:8000", description="hummingbot-api base URL.")
    hbapi_username: str = Field(default="admin", description="hummingbot-api HTTP Basic username.")
    hbapi_password: SecretStr = Field(
        default=SecretStr("admin"), description="hummingbot-api HTTP Basic password (its USERNAME/PASSWORD)."
    )
    hbapi_timeout: float = Field(default=30.0, gt=0, description="Connect/read timeout per hummingbot-api request (s).")
    hbapi_attempts: int = Field(
        default=3, ge=1, le=20, description="Tries per idempotent hummingbot-api request (reads, uploads, saves)."
    )
    hbapi_account: str = Field(
        default="master_account", description="hummingbot-api credentials profile bots are deployed with."
    )
    bot_image: str = Field(
        default="hummingbot/hummingbot:version-2.17.0",
        description="Docker image (pinned tag) hummingbot-api starts bots from; never `latest` by default.",
    )
    deploy_timeout: float = Field(
        default=180.0, gt=0, description="How long `bots deploy` waits for a bot to report running (s)."
    )
    deploy_poll: float = Field(default=3.0, gt=0, description="Seconds between status polls while a deploy starts.")
    image_pull_timeout: float = Field(
        default=1800.0, gt=0, description="How long `bots deploy` waits for hummingbot-api to pull the bot image (s)."
    )
    mcp_token: SecretStr | None = Field(
        default=None, description="Bearer token `uptrade mcp --http` requires of every request (unset: none)."
    )
    bots_sync_interval: float = Field(
        default=0.0,
        ge=0,
        description="The updater syncs bot performance from hummingbot-api every this many seconds (0: off).",
    )

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("log_level", mode="after")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
        return level

    def resolved_database_url(self) -> str:
        """The URL to connect to (the embedded SQLite file when none is configured)."""
        if self.database_url is not None and self.database_url.get_secret_value().strip():
            return self.database_url.get_secret_value().strip()
        return f"sqlite:///{self.home / 'uptrade.db'}"

    def display_database_url(self) -> str:
        """The URL with any password masked, safe to print."""
        return mask_url(self.resolved_database_url())


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (SQLAlchemy's own rendering)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def get_settings(**overrides: Any) -> Settings:
    """Read settings now (environment and ``.env`` at call time, never at import time).

    ``overrides`` are field values, checked by the model like those from the environment.
    """
    return Settings(**overrides)
