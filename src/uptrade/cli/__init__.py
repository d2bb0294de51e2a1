"""The ``uptrade`` command line (typer): ``from uptrade.cli import app``."""

from uptrade.cli.app import app

__all__ = ["app"]
