"""Market data: candle frames, timeframes, symbols, validation, files and the store."""
