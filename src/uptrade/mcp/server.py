"""Build UpTrade's MCP server: every tool, resource and the prompt registered on one ``MCPServer``.

Over HTTP the server can require a pre-shared bearer token (``UPTRADE_MCP_TOKEN``). It is checked
by the SDK's own bearer-auth middleware through :class:`StaticToken`, a ``TokenVerifier`` that
compares in constant time; there is no OAuth server, so the token's issuer is the server itself.
"""

from __future__ import annotations

import hmac

from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer

INSTRUCTIONS = """UpTrade: crypto market data in a time-series store, indicators (34 moving averages,
SniperProX, VZOProX, spectral cycles, astro), signals and their combiner, backtests that follow
Hummingbot V2's executor rules, optimisation, paper trading and bots on hummingbot-api.
Start with list_symbols and coverage; read the indicator catalogue resource for parameters.
Bots deploy in paper mode; live trading needs the operator's setting and confirm=true."""


class StaticToken:
    """Accepts exactly one bearer token (compared in constant time)."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        """An access token for the right token, None (HTTP 401) for any other."""
        if hmac.compare_digest(token.encode(), self._token):
            return AccessToken(token="uptrade", client_id="uptrade", scopes=[])
        return None


def build_server(*, token: str | None = None, base_url: str | None = None) -> MCPServer:
    """The server with every UpTrade tool, resource and prompt (settings are read at each call).

    ``token`` (with ``base_url``, where the HTTP server listens) makes every HTTP request need
    ``Authorization: Bearer <token>``; stdio has no use for it.
    """
    from importlib.metadata import PackageNotFoundError, version

    from uptrade.mcp import bot_tools, catalogue, data_tools, research_tools

    try:
        installed = version("uptrade")
    except PackageNotFoundError:  # a source tree that was never installed
        installed = "0"
    verifier, auth = None, None
    if token:
        base = (base_url or "http://127.0.0.1").rstrip("/")
        verifier = StaticToken(token)
        auth = AuthSettings.model_validate({"issuer_url": base, "resource_server_url": f"{base}/mcp"})
    server = MCPServer(
        name="uptrade",
        title="UpTrade",
        instructions=INSTRUCTIONS,
        version=installed,
        token_verifier=verifier,
        auth=auth,
    )
    for module in (data_tools, research_tools, bot_tools, catalogue):
        module.register(server)
    return server
