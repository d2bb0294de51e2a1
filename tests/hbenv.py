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


def cache_dir() -> Path:
    """The machine's cache directory of UpTrade's build-once artefacts (``UPTRADE_CACHE``)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uptrade"
    return Path(os.environ.get("UPTRADE_CACHE") or cache)


def kept_bundle(fresh: Path) -> Path:
    """``fresh`` (a bundle just written) kept in the machine cache under the digest of its bytes.

    The bundle is deterministic, so the same package gives the same folder every run; its files are
    never rewritten, which keeps numba's on-disk cache of their kernels valid (numba keys it on each
    source file's path and time stamp) in ``<folder>/numba``. A changed kernel gives another digest,
    hence a new folder and a fresh compile; the first run after a change pays it, later runs do not.
    """
    import hashlib
    import shutil

    digest = hashlib.sha256()
    for path in sorted(p for p in fresh.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(fresh)).encode() + b"\0" + path.read_bytes() + b"\0")
    kept = cache_dir() / "hb-bundles" / digest.hexdigest()[:16]
    if not kept.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        staging = kept.parent / f".{kept.name}.{os.getpid()}"
        shutil.copytree(fresh, staging / "bundle")
        try:
            staging.rename(kept)  # atomic: another worker that got there first keeps its copy
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return kept
