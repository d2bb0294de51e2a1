"""Local stand-ins, over real HTTP on 127.0.0.1, for the services tests cannot reach.

They speak the documented protocols (paths, JSON shapes, pagination, auth, status codes) and
serve the real candles from ``shared/data/market`` with a controllable clock and faults.
"""
