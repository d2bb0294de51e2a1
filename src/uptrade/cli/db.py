"""``uptrade db``: create or upgrade the schema, check TimescaleDB's background jobs, refresh aggregates."""

from __future__ import annotations

from typing import Annotated

import typer

db_app = typer.Typer(help="Database: set-up, TimescaleDB jobs and aggregates.", no_args_is_help=True)


@db_app.command("init")
def db_init(
    timescaledb: Annotated[
        bool | None,
        typer.Option(
            "--timescaledb/--no-timescaledb",
            help="Require TimescaleDB, or keep plain PostgreSQL (default: use it when the server offers it).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create or upgrade the schema and set up TimescaleDB (idempotent); show the backend mode.

    The only command that creates or alters tables: run it once, as the role that will own them,
    before any other command on a PostgreSQL database (the embedded SQLite file needs none).
    """
    from uptrade.cli.app import _console, _open_store

    store = _open_store(init=True, timescaledb=timescaledb)
    info = store.describe()
    console = _console()
    console.print(f"database: {info['url']}")
    console.print(f"mode: [bold]{info['mode']}[/]  schema version: {info['schema_version']}")
    if info["backend"] == "postgresql" and not info.get("timescaledb"):
        console.print(
            "plain PostgreSQL: no hypertables, continuous aggregates or compression; timeframes are "
            "aggregated with GROUP BY."
        )
    store.close()


@db_app.command("jobs")
def db_jobs() -> None:
    """TimescaleDB's refresh and compression policies: last run, runs, failures, last error, next start."""
    from rich.table import Table

    from uptrade.cli.app import _console, _fail, _open_store
    from uptrade.errors import UpTradeError

    store = _open_store()
    try:
        jobs = store.jobs()
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    if store.mode != "timescaledb":
        raise _fail(f"{store.url} is in {store.mode} mode: there are no TimescaleDB jobs")
    table = Table(title=f"TimescaleDB jobs ({store.url})")
    for name in ("job", "policy", "on", "every", "last run", "last success", "runs", "failures", "next start"):
        table.add_column(name, justify="right" if name in ("job", "runs", "failures") else "left")
    errors = []
    for job in jobs:
        status = job["last_run_status"] or "never run"
        table.add_row(
            str(job["job_id"]),
            str(job["proc_name"]).removeprefix("policy_"),
            str(job["target"]),
            str(job["schedule_interval"]),
            f"[{'green' if status == 'Success' else 'yellow'}]{status}[/]",
            _when(job["last_successful_finish"]),
            str(job["total_runs"] or 0),
            str(job["total_failures"] or 0),
            _when(job["next_start"]),
        )
        if job["last_error"]:
            errors.append(f"job {job['job_id']}: {job['last_error']}")
    console = _console()
    console.print(table)
    for line in errors:
        console.print(f"[yellow]last error[/] {line}", highlight=False)


def _when(value: object) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


@db_app.command("refresh")
def db_refresh(
    start: Annotated[str, typer.Option(help="First 1m bar whose buckets to refresh (UTC), e.g. 2024-01-01.")],
    end: Annotated[str | None, typer.Option(help="Last 1m bar (default: now).")] = None,
) -> None:
    """Materialise the 5m/1h/1d continuous aggregates over a range (TimescaleDB; needs their owner)."""
    from uptrade.cli.app import _console, _fail, _open_store
    from uptrade.errors import UpTradeError

    store = _open_store()
    try:
        views = store.refresh_aggregates(start, end)
    except UpTradeError as exc:
        raise _fail(str(exc)) from None
    finally:
        store.close()
    _console().print(f"refreshed {', '.join(views) or 'nothing (no complete bucket in the range)'}")
