"""Research: backtests (vectorbt research mode; the Hummingbot-faithful engine is to come), statistics, reports."""
