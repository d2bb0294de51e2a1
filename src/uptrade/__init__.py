"""UpTrade: a platform for crypto quants (store, indicators, research, execution).

Importing any ``uptrade`` module first runs this file, so it is the one place that can point
numba's on-disk cache of compiled kernels somewhere lasting before numba is imported: unless
``NUMBA_CACHE_DIR`` is already in the environment, it is set to :func:`numba_cache_dir`
(``~/.cache/uptrade/numba/<fingerprint>`` on Linux). A value the user set wins; an empty one gives
numba's own default (``__pycache__`` next to the sources). See docs/indicators.md, "numba's cache".
"""

from __future__ import annotations

import os
import sys

__version__ = "0.1.0"


def kernel_fingerprint(root: str | None = None) -> str:
    """12 hex digits naming the state of every kernel source file under ``root`` (this package).

    Kernel files are the ``*_nb.py`` modules and everything in an ``nb`` package; their names,
    sizes and modification times are hashed. numba checks only a cached function's own file, so
    a kernel whose callee in another file changed would load stale machine code; a cache
    directory per fingerprint makes any kernel edit start a fresh cache (about 2 ms to compute).
    """
    import hashlib

    base = root or os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha1(usedforsecurity=False)
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        in_nb = os.path.basename(folder) == "nb"
        for name in sorted(files):
            if name.endswith(".py") and (in_nb or name.endswith("_nb.py")):
                path = os.path.join(folder, name)
                stat = os.stat(path)
                digest.update(f"{os.path.relpath(path, base)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:12]


def numba_cache_dir() -> str:
    """Where numba caches the compiled kernels by default: ``<user cache>/uptrade/numba/<fingerprint>``."""
    from platformdirs import user_cache_dir

    return os.path.join(user_cache_dir("uptrade", appauthor=False), "numba", kernel_fingerprint())


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
