"""UpTrade's MCP server: an AI agent researches, backtests, paper-trades, deploys and watches bots.

A shell like the CLI and the dashboard, on the official ``mcp`` SDK (``MCPServer``): every tool
checks its input, calls the same library functions as the matching ``uptrade`` command and
returns a pydantic model (so clients see real schemas); a user's mistake is a tool error with
one line, never a traceback. ``server.py`` builds the server; ``common.py`` holds the store, the
error translation and the size limits; ``data_tools``, ``research_tools`` and ``bot_tools`` the
tools; ``catalogue`` the resources and the prompt. ``uptrade mcp`` serves it on stdio, or with
``--http`` as streamable HTTP on 127.0.0.1.
"""
