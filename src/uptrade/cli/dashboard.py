"""``uptrade dashboard``: serve the Streamlit dashboard (``uptrade.dashboard``) until interrupted."""

from __future__ import annotations

from typing import Annotated

import typer

from uptrade.cli.common import CliState, check_listen, console

#: Streamlit's options for a served dashboard: no browser to open, no telemetry, no file watching,
#: the viewer's toolbar, and no traceback in the page (the server's log has it).
SERVER_OPTIONS = {
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",
    "client.showErrorDetails": "none",
    "global.developmentMode": "false",
    "theme.base": "light",
}


def dashboard(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
) -> None:
    """Serve the dashboard (home, bots, signals, cycles, backtest, astro) at http://HOST:PORT."""
    import os

    check_listen(host, port)
    state = ctx.find_object(CliState)
    if state is not None and state.db_url:
        os.environ["UPTRADE_DATABASE_URL"] = state.db_url  # the pages read the store from the settings
    from streamlit.web import cli as streamlit_cli

    from uptrade.dashboard import APP_PATH
    from uptrade.settings import get_settings

    console().print(
        f"UpTrade dashboard on http://{host}:{port} (store: {get_settings().display_database_url()}); Ctrl-C stops it"
    )
    options = {**SERVER_OPTIONS, "server.address": host, "server.port": str(port)}
    args = ["run", str(APP_PATH), *(f"--{k}={v}" for k, v in options.items())]
    streamlit_cli.main.main(args=args, prog_name="streamlit", standalone_mode=False)
