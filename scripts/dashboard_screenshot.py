"""Take the README's picture of the dashboard: the signals page on a year of real BTC/USDT 1h.

Serves ``uptrade dashboard`` on a store built from ``../shared/data/market`` (as the tests do),
opens the page in Debian's headless Chromium, and writes a small palette PNG (Pillow) to
``docs/img/dashboard-signals.png``.

    .venv/bin/python scripts/dashboard_screenshot.py [PAGE] [OUT.png]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from tests.dashboard_browser import chromium, open_page, serve  # noqa: E402
from tests.dashboard_support import build_store  # noqa: E402

#: Width of the committed picture in pixels (the browser renders at 1500 and is scaled down).
WIDTH = 1100


def main(page: str = "signals", out: Path = ROOT / "docs" / "img" / "dashboard-signals.png") -> None:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = build_store(tmp / "store.db")
        with serve(url, tmp / "dash.log", env={"UPTRADE_HBAPI_URL": ""}) as base, chromium(1500, 2150) as driver:
            open_page(driver, base, "", 1)
            state, seconds = open_page(driver, base, page, 1)
            if state["errors"]:
                raise SystemExit(f"{page}: {state['errors']}")
            raw = tmp / "raw.png"
            driver.save_screenshot(str(raw))
        image = Image.open(raw).convert("RGB")
        image = image.resize((WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS)
        out.parent.mkdir(parents=True, exist_ok=True)
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    print(f"{out} ({out.stat().st_size / 1024:.0f} KiB; the page settled in {seconds:.2f} s)")


if __name__ == "__main__":
    main(*(sys.argv[1:2]), *([Path(sys.argv[2])] if len(sys.argv) > 2 else []))
