"""The Streamlit dashboard: watch the store, signals, cycles, backtests, astro and bots in a browser.

A shell like the CLI: every page parses its controls, calls the library and draws the result, so
the dashboard never disagrees with ``uptrade``'s commands. ``app.py`` is the script Streamlit
runs (``uptrade dashboard`` starts it); ``views/`` holds one script per page, ``context.py`` the
store, the sidebar's shared selection and the error guard, and ``components/`` the chart builders
and bot cards, which are plain functions with their own unit tests.
"""

from __future__ import annotations

from pathlib import Path

#: The script Streamlit runs: the sidebar and the page navigation.
APP_PATH = Path(__file__).with_name("app.py")
