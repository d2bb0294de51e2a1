"""Strategy files: the backtest YAML files of a folder (``examples/``), described in one row each.

``uptrade strategies list`` shows these rows: each file's market, sources, combiner mode and the
description from its first comment line. A file that does not load is listed with its one-line
error instead, so one broken file never hides the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from uptrade.errors import ConfigError, UpTradeError
from uptrade.research.config import BacktestConfig

#: Where a source checkout keeps its strategy files (the package lives in ``src/uptrade``).
SOURCE_EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@dataclass(frozen=True)
class StrategyFile:
    """One strategy file: what it trades and how, or why it does not load (``error``)."""

    path: Path
    description: str = ""
    symbol: str | None = None
    timeframe: str | None = None
    sources: tuple[str, ...] = ()
    mode: str | None = None
    error: str | None = None


def description(path: Path) -> str:
    """The text of the file's first comment line (``# ...``), or an empty string."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    for line in lines:
        text = line.strip()
        if text:
            return text.lstrip("#").strip() if text.startswith("#") else ""
    return ""


def describe(path: Path) -> StrategyFile:
    """Load ``path`` as a backtest config and describe it; a file that fails keeps its error message."""
    about = description(path)
    try:
        cfg = BacktestConfig.from_yaml(path)
    except UpTradeError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        return StrategyFile(path, about, error=message)
    return StrategyFile(
        path,
        about,
        symbol=", ".join(cfg.markets),
        timeframe=cfg.timeframe,
        sources=tuple(cfg.signals.sources),
        mode=cfg.signals.combine.mode,
    )


def default_dirs() -> list[Path]:
    """``./examples`` when the working folder has one, else the source checkout's ``examples/``."""
    here = Path.cwd() / "examples"
    return [here if here.is_dir() else SOURCE_EXAMPLES]


def list_strategies(dirs: Iterable[Path]) -> list[StrategyFile]:
    """Every ``*.yml``/``*.yaml`` file of ``dirs`` (sorted by name, each folder once), described."""
    out: list[StrategyFile] = []
    seen: set[Path] = set()
    for given in dirs:
        folder = Path(given).expanduser()
        if not folder.is_dir():
            raise ConfigError(f"dirs {folder}: no such directory", param="dirs")
        if folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
        out.extend(describe(p) for p in files)
    return out
