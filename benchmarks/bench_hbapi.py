"""The hummingbot-api client's cost per call and the performance sync's speed, against plain httpx, in one run.

Against the loopback hummingbot-api (``tests/fakes/hbapi.py``, served in this process's thread):

- **status read**: ``HummingbotApi.bot(name)`` (auth, retry wrapper, error checks, a pydantic
  ``BotStatus``) against the anchor, the same ``GET /bot-orchestration/{bot}/status`` with a bare
  ``httpx.Client`` and ``response.json()``; the ratio is what the safety costs per call;
- **sync**: ``sync_bots`` of one bot with ``SNAPSHOTS`` history rows (pages of 1000) into SQLite,
  the first time and again (idempotent re-read of the newest instant), in rows per second;
- **deploy round trip**: ``plan_deploy`` (bot file, controller config, bundle) and
  ``Deployer.deploy`` (upload, save, validate, deploy, three status polls without waiting).

Every timing is the best of five (``bench_paper.best``); the fake server shares this process's GIL, so absolute
figures include its side; only the ratios compare like with like. Printed, never asserted.

    python benchmarks/bench_hbapi.py [SNAPSHOTS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_paper import best  # noqa: E402
from tests.fakes.hbapi import FakeHummingbotApi  # noqa: E402
from tests.fakes.server import ServerThread  # noqa: E402

from uptrade.data.store import open_store  # noqa: E402
from uptrade.execution.deploy import Deployer, plan_deploy  # noqa: E402
from uptrade.execution.hbapi import HummingbotApi  # noqa: E402
from uptrade.execution.sync import sync_bots  # noqa: E402

CALLS = 300
BOT = ROOT / "examples" / "bots" / "combined_okx_btc_1h.yml"
IMAGE = "hummingbot/hummingbot:version-2.12.0"


def main(snapshots: int = 20_000) -> None:
    fake = FakeHummingbotApi(password="bench", now=datetime(2026, 1, 1, tzinfo=UTC))
    with ServerThread(fake.app) as url, tempfile.TemporaryDirectory() as tmp:
        api = HummingbotApi(url, "admin", SecretStr("bench"), attempts=1)
        plan = plan_deploy(BOT, image=IMAGE, account="master_account")
        deployer = Deployer(api, poll=0.0, sleep=lambda s: None)
        t_deploy = best(lambda: (fake.tick(1), deployer.deploy(plan)), repeat=3)  # a new name each second
        name = sorted(fake.bots)[-1]
        fake.discover(name)
        for _ in range(snapshots):
            fake.tick(300)
            fake.advance(name, pnl=0.1, volume=10.0)

        raw = httpx.Client(base_url=url, auth=("admin", "bench"))
        path = f"/bot-orchestration/{name}/status"
        t_raw = best(lambda: [raw.get(path).json() for _ in range(CALLS)]) / CALLS
        t_ours = best(lambda: [api.bot(name) for _ in range(CALLS)]) / CALLS

        store = open_store(f"sqlite:///{Path(tmp) / 'b.db'}", init=True)
        start = time.perf_counter()
        first = sync_bots(api, store, bots=[name]).total
        t_first = time.perf_counter() - start
        t_again = best(lambda: sync_bots(api, store, bots=[name]), repeat=3)
        store.close()
        raw.close()
        api.close()

    print(f"hummingbot-api client, loopback fake, {snapshots} history rows")
    print(f"  status read, httpx bare (anchor)   {t_raw * 1e3:8.3f} ms/call")
    print(f"  status read, HummingbotApi.bot     {t_ours * 1e3:8.3f} ms/call   ratio {t_ours / t_raw:5.2f}x")
    print(f"  sync, first ({first} rows)         {t_first:8.3f} s        {first / t_first:10,.0f} rows/s")
    print(f"  sync, again (idempotent)           {t_again * 1e3:8.1f} ms")
    print(f"  deploy round trip (plan + deploy)  {t_deploy * 1e3:8.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
