from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from uptrade.logs import setup_logging
from uptrade.settings import Settings, get_settings, mask_url


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("UPTRADE_HOME", "UPTRADE_DATABASE_URL", "UPTRADE_LOG_LEVEL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_default_database_is_sqlite_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = get_settings()
    assert settings.home == tmp_path / ".uptrade"
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path}/.uptrade/uptrade.db"


def test_env_prefix_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("UPTRADE_LOG_LEVEL=debug\nUPTRADE_HOME=~/elsewhere\n")
    settings = get_settings()
    assert settings.log_level == "DEBUG"
    assert settings.home == Path("~/elsewhere").expanduser()
    monkeypatch.setenv("UPTRADE_LOG_LEVEL", "error")  # the environment wins over .env
    assert get_settings().log_level == "ERROR"


def test_bad_log_level_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTRADE_LOG_LEVEL", "loud")
    with pytest.raises(ValueError, match="log_level must be one of"):
        get_settings()


def test_database_password_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPTRADE_DATABASE_URL", "postgresql://trader:hunter2@db:5432/uptrade")
    settings = Settings()
    assert settings.resolved_database_url().endswith("trader:hunter2@db:5432/uptrade")
    for text in (repr(settings), str(settings), settings.model_dump_json(), settings.display_database_url()):
        assert "hunter2" not in text
    assert settings.display_database_url() == "postgresql://trader:***@db:5432/uptrade"
    assert mask_url("not a url") == "<unparseable database URL>"


def test_key_value_log_lines() -> None:
    stream = io.StringIO()
    setup_logging("INFO", stream=stream)
    log = logging.getLogger("uptrade.test")
    log.info("ohlcv written", extra={"symbol": "BTC-USDT", "rows": 42, "note": 'has "quotes" and spaces'})
    log.debug("hidden")
    line = stream.getvalue().strip()
    assert "\n" not in line
    assert line.startswith("ts=")
    assert "level=INFO logger=uptrade.test" in line
    assert 'event="ohlcv written" symbol=BTC-USDT rows=42' in line
    assert 'note="has \\"quotes\\" and spaces"' in line
    setup_logging("INFO", stream=stream)  # idempotent: still exactly one handler
    assert len([h for h in logging.getLogger("uptrade").handlers if h.get_name() == "uptrade-kv"]) == 1
