"""UpTrade: a platform for crypto quants (store, indicators, research, execution)."""

__version__ = "0.1.0"
