"""UpTrade: a platform for crypto quants (store, indicators, research, execution).

Importing any ``uptrade`` module first runs this file, so it is the one place that can point
numba's on-disk cache of compiled kernels somewhere lasting before numba is imported: unless
``NUMBA_CACHE_DIR`` is already in the environment, it is set to :func:`numba_cache_dir`
(``~/.cache/uptrade/numba`` on Linux). A value the user set wins; an empty one gives numba's own
default (``__pycache__`` next to the sources). See docs/indicators.md, "numba's cache".
"""

from __future__ import annotations

import os
import sys

__version__ = "0.1.0"


def numba_cache_dir() -> str:
    """Where numba caches the compiled kernels by default: ``<user cache directory>/uptrade/numba``."""
    from platformdirs import user_cache_dir

    return os.path.join(user_cache_dir("uptrade", appauthor=False), "numba")


def _default_numba_cache() -> None:
    """Set ``NUMBA_CACHE_DIR`` to :func:`numba_cache_dir` unless the environment already names one."""
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    path = numba_cache_dir()
    os.environ["NUMBA_CACHE_DIR"] = path
    config = sys.modules.get("numba.core.config")
    if config is not None and not config.CACHE_DIR:  # numba came first and has read the environment already
        setattr(config, "CACHE_DIR", path)  # noqa: B010 (a module attribute mypy cannot see)


_default_numba_cache()
