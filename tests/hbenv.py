"""Where the Hummingbot environment is (``scripts/hummingbot_env.sh`` builds it), for tests and benchmarks.

It does not depend on the clone, so it lives in the user's cache directory, keyed on its
versions, and every clone reuses it; ``UPTRADE_HB_PYTHON`` (or ``UPTRADE_HB_VENV``) points
elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

HB_VERSION = "20260922"


def hummingbot_python() -> Path:
    """The Python of the Hummingbot environment (it may not exist yet)."""
    if os.environ.get("UPTRADE_HB_PYTHON"):
        return Path(os.environ["UPTRADE_HB_PYTHON"])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uptrade"
    cache = Path(os.environ.get("UPTRADE_CACHE") or cache)
    venv = Path(os.environ.get("UPTRADE_HB_VENV") or cache / f"hummingbot-{HB_VERSION}-py3.12")
    return venv / "bin" / "python"
