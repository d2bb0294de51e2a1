"""``uptrade db``: create or upgrade the schema, check TimescaleDB's background jobs, refresh aggregates."""

from __future__ import annotations

from typing import Annotated

import typer

from uptrade.cli.common import cli_errors, console, fail, opened_store
from uptrade.cli.views import when

db_app = typer.Typer(help="Database: set-up, TimescaleDB jobs and aggregates.", no_args_is_help=True)


@db_app.command("init")
@cli_errors
def db_init(
    ctx: typer.Context,
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
    with opened_store(ctx, init=True, timescaledb=timescaledb) as store:
        info = store.describe()
    out = console()
    out.print(f"database: {info['url']}")
    out.print(f"mode: [bold]{info['mode']}[/]  schema version: {info['schema_version']}")
    if info["backend"] == "postgresql" and not info.get("timescaledb"):
        out.print(
            "plain PostgreSQL: no hypertables, continuous aggregates or compression; timeframes are "
            "aggregated with GROUP BY."
        )


@db_app.command("jobs")
@cli_errors
def db_jobs(ctx: typer.Context) -> None:
    """TimescaleDB's refresh and compression policies: last run, runs, failures, last error, next start."""
    from rich.table import Table

    with opened_store(ctx) as store:
        jobs = store.jobs()
    if store.mode != "timescaledb":
        raise fail(f"{store.url} is in {store.mode} mode: there are no TimescaleDB jobs")
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
            when(job["last_successful_finish"]),
            str(job["total_runs"] or 0),
            str(job["total_failures"] or 0),
            when(job["next_start"]),
        )
        if job["last_error"]:
            errors.append(f"job {job['job_id']}: {job['last_error']}")
    out = console()
    out.print(table)
    for line in errors:
        out.print(f"[yellow]last error[/] {line}", highlight=False)


@db_app.command("refresh")
@cli_errors
def db_refresh(
    ctx: typer.Context,
    start: Annotated[str, typer.Option(help="First 1m bar whose buckets to refresh (UTC), e.g. 2024-01-01.")],
    end: Annotated[str | None, typer.Option(help="Last 1m bar (default: now).")] = None,
) -> None:
    """Materialise the 5m/1h/1d continuous aggregates over a range (TimescaleDB; needs their owner)."""
    with opened_store(ctx) as store:
        views = store.refresh_aggregates(start, end)
    console().print(f"refreshed {', '.join(views) or 'nothing (no complete bucket in the range)'}")
