"""(to be built)"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer


def register(server: MCPServer) -> None:
    """Add this module's tools to ``server``."""
