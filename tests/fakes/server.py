"""Run an aiohttp application on 127.0.0.1 in a background thread (a real HTTP server)."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class ServerThread:
    """``with ServerThread(app) as url:`` serves ``app`` on a free port until the block ends."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-server", daemon=True)
        self._runner: web.AppRunner | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
        self.loop.close()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self.url

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve_in_child(app: web.Application, conn: object) -> None:
    server = ServerThread(app)
    conn.send(server.start())  # type: ignore[attr-defined]
    conn.recv()  # type: ignore[attr-defined]  # blocks until the parent says stop (or dies)
    server.stop()


class ServerProcess:
    """Like :class:`ServerThread`, but in a forked process: the server does not share our GIL.

    For load tests; the fake's request counters stay in the child.
    """

    def __init__(self, app: web.Application) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self._parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve_in_child, args=(app, child), daemon=True)

    def start(self) -> str:
        self._proc.start()
        if not self._parent.poll(20):
            raise RuntimeError("fake server process did not start")
        return self._parent.recv()

    def stop(self) -> None:
        self._parent.send("stop")
        self._proc.join(10)
        if self._proc.is_alive():
            self._proc.kill()
