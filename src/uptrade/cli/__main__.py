"""``python -m uptrade.cli``: run the command line."""

from uptrade.cli import app

app()
