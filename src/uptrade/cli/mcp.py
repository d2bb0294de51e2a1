"""``uptrade mcp``: serve UpTrade's MCP server on stdio (default) or as streamable HTTP (``--http``)."""

from __future__ import annotations

from typing import Annotated

import typer

from uptrade.cli.common import CliState, check_listen


def mcp(
    ctx: typer.Context,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option(help="Address to listen on with --http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on with --http.")] = 8765,
) -> None:
    """Serve the MCP server: tools for data, indicators, cycles, astro, backtests, paper trading and bots.

    On stdio (what an assistant's client starts) nothing else is written to stdout; with --http
    every request needs ``Authorization: Bearer $UPTRADE_MCP_TOKEN`` when that setting is set.
    """
    import os

    state = ctx.find_object(CliState)
    if state is not None and state.db_url:
        os.environ["UPTRADE_DATABASE_URL"] = state.db_url  # the tools read the store from the settings
    from uptrade.mcp.common import close_stores
    from uptrade.mcp.server import build_server
    from uptrade.settings import get_settings

    try:
        if not http:
            build_server().run()
            return
        check_listen(host, port)
        secret = get_settings().mcp_token
        token = secret.get_secret_value() if secret is not None and secret.get_secret_value() else None
        base = f"http://{host}:{port}"
        server = build_server(token=token, base_url=base)
        from rich.console import Console

        guard = "a bearer token (UPTRADE_MCP_TOKEN)" if token else "no token (UPTRADE_MCP_TOKEN unset)"
        Console(stderr=True).print(f"UpTrade MCP server on {base}/mcp, {guard}; Ctrl-C stops it", highlight=False)
        server.run("streamable-http", host=host, port=port)
    finally:
        close_stores()
