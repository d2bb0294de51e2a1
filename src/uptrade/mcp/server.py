"""Build UpTrade's MCP server: every tool, resource and the prompt registered on one ``MCPServer``."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

INSTRUCTIONS = """UpTrade: crypto market data in a time-series store, indicators (34 moving averages,
SniperProX, VZOProX, spectral cycles, astro), signals and their combiner, backtests that follow
Hummingbot V2's executor rules, optimisation, paper trading and bots on hummingbot-api.
Start with list_symbols and coverage; read the indicator catalogue resource for parameters.
Bots deploy in paper mode; live trading needs the operator's setting and confirm=true."""


def build_server() -> MCPServer:
    """The server with every UpTrade tool, resource and prompt (settings are read at each call)."""
    from importlib.metadata import PackageNotFoundError, version

    from uptrade.mcp import bot_tools, catalogue, data_tools, research_tools

    try:
        installed = version("uptrade")
    except PackageNotFoundError:  # a source tree that was never installed
        installed = "0"
    server = MCPServer(name="uptrade", title="UpTrade", instructions=INSTRUCTIONS, version=installed)
    for module in (data_tools, research_tools, bot_tools, catalogue):
        module.register(server)
    return server
