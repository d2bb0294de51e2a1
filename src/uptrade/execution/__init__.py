"""Execution: bot configs, Hummingbot V2 controllers and their bundle, and the paper-trading engine."""
