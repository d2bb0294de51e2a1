"""Indicators (``shared/spec/INDICATORS.md``). ``nb`` holds the numba kernels they are built from."""
