"""Terminal views that more than one command prints (``demo`` repeats parts of the groups' output).

Kept apart from the command modules so that none of them has to import another.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from uptrade.cli.common import console, fail, progress_bar

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from uptrade.data.store import Store
    from uptrade.indicators.cycles import MTFCycles


def when(value: Any) -> str:
    """A timestamp to the second, or ``-`` for none."""
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def signed_money(value: float | None, capital: float | None = None) -> str:
    """``+1,234.56`` in green (red below zero), with the fraction of ``capital`` when given; ``-`` for None."""
    if value is None:
        return "-"
    colour = "green" if value > 0 else "red" if value < 0 else "white"
    pct = f" ({value / capital:+.2%})" if capital else ""
    return f"[{colour}]{value:+,.2f}{pct}[/]"


def duration(minutes: float) -> str:
    """Minutes as the largest fitting units, e.g. ``2d 4h`` or ``35m``."""
    total = round(minutes)
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{v}{u}" for v, u in ((days, "d"), (hours, "h"), (mins, "m")) if v]
    return " ".join(parts[:2]) or "0m"


def coverage_table(store: Store, symbol: str | None = None) -> Table:
    """One row per stored series: first and last bar, rows, gaps and missing bars."""
    from rich.table import Table

    table = Table(title=f"Coverage ({store.mode}: {store.url})")
    for name, justify in (
        ("symbol", "left"),
        ("timeframe", "left"),
        ("first", "left"),
        ("last", "left"),
        ("rows", "right"),
        ("gaps", "right"),
        ("missing bars", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for c in store.coverage(symbol):
        table.add_row(
            c.symbol,
            c.timeframe,
            f"{c.first:%Y-%m-%d %H:%M}",
            f"{c.last:%Y-%m-%d %H:%M}",
            f"{c.rows:,}",
            f"{c.gaps:,}",
            f"{c.missing:,}",
        )
    return table


def import_candles(
    store: Store, file: Path, symbol: str, timeframe: str, skip_invalid: bool, report: Path | None
) -> None:
    """Import a candle file with a progress bar, then say what was written and what was skipped."""
    from uptrade.data.importer import import_file
    from uptrade.data.validate import OHLCVValidationError

    out = console()
    with progress_bar() as progress:
        task = progress.add_task(f"importing {file.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            result = import_file(
                store, file, symbol, timeframe, skip_invalid=skip_invalid, report_path=report, on_progress=advance
            )
        except OHLCVValidationError as exc:
            raise fail(f"{exc} Fix the file, or pass --skip-invalid to write the valid rows.") from None
    out.print(
        f"{result.rows_written:,} of {result.rows_read:,} rows written to "
        f"{result.symbol} {result.timeframe} ({store.mode})"
    )
    if result.warning:
        out.print(f"[yellow]warning:[/] {result.warning}")
    if result.rejected:
        out.print(f"[yellow]{result.rejected:,} invalid rows skipped[/]: {result.report.describe(5)}")
        out.print(f"report: {result.report_path}")


def print_cycles(out: Console, found: MTFCycles, title: str) -> None:
    """The per-timeframe dominant-cycle table and the composite line."""
    from rich.table import Table

    table = Table(title=title)
    for col in ("timeframe", "as of", "bars", "period (bars)", "period", "power", "nearest Hurst"):
        table.add_column(col, justify="left" if col in ("timeframe", "as of", "nearest Hurst") else "right")
    for tf, row in found.table.iterrows():
        table.add_row(
            str(tf),
            f"{row.time:%Y-%m-%d %H:%M}",
            f"{row.bars:,}",
            f"{row.period_bars:.2f}",
            duration(row.period_minutes),
            f"{row.power:.1%}",
            str(row.hurst_cycle),
        )
    for tf, reason in found.skipped.items():
        table.add_row(tf, "-", "-", "-", "-", "-", f"skipped: {reason}")
    out.print(table)
    out.print(
        f"composite period: [bold]{duration(found.composite_period_minutes)}[/] "
        f"({found.composite_period_minutes:,.0f} min, power-weighted); suggested length: "
        f"[bold]{found.suggested_length}[/] {found.base_timeframe} bars"
    )


def stats_table(stats: dict[str, Any], title: str) -> Table:
    """A backtest's statistics as a two-column table, formatted as people read them; a ruined run says so first."""
    from rich.table import Table

    from uptrade.research.report_format import fmt_value as format_stat

    table = Table(title=title)
    table.add_column("statistic")
    table.add_column("value", justify="right")
    if stats.get("ruined"):
        table.add_row(
            "[bold red]RUINED[/]", f"[bold red]liquidated at {format_stat('ruined_at', stats.get('ruined_at'))}[/]"
        )
    for key, value in stats.items():
        if key in ("ruined", "ruined_at"):
            continue
        table.add_row(key, format_stat(key, value))
    return table


def hummingbot_line(hb: dict[str, Any]) -> str:
    """Hummingbot's own summary figures of a backtest, on one line."""
    return (
        f"Hummingbot's summary: net_pnl_quote {hb['net_pnl_quote']:,.4f}, accuracy {hb['accuracy']:.2%}, "
        f"profit_factor {hb['profit_factor']:.4f}, max_drawdown_usd {hb['max_drawdown_usd']:,.4f}, "
        f"sharpe_ratio {hb['sharpe_ratio']:.4f}, close_types {hb['close_types']}"
    )
