"""The image routes of the fake hummingbot-api (``/docker/available-images/``, ``pull-image/``, ``pull-status/``).

As in the real API: ``available-images/?image_name=X`` lists the local tags containing ``X``;
``pull-image/`` starts a background pull and answers at once (``status: started``, or
``in_progress`` while one runs); ``pull-status/`` reports every pull (``pulling``, then
``completed`` or ``failed`` with ``error``). The pull's progress is counted in status reads, never
in time: it completes on the ``api.pull_reads``-th read of ``pull-status/``, or fails with
``api.pull_error`` when that is set. A deploy of an image that is not local pulls it inline, as
Docker's ``containers.run`` does (the real call then blocks for the whole pull).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from tests.fakes.hbapi_http import Params, Reply, Req, Route

if TYPE_CHECKING:
    from tests.fakes.hbapi import FakeHummingbotApi


class DockerImage(BaseModel):
    image_name: str


def available_images(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    name = p.query("image_name", str | None, None)
    p.check()
    return 200, sorted(tag for tag in api.images if name is None or name in tag)


def pull_image(api: FakeHummingbotApi, req: Req) -> Reply:
    p = Params(req)
    body = p.body(DockerImage)
    p.check()
    name = body.image_name
    current = api.pulls.get(name)
    if current is not None and current["status"] == "pulling":
        return 200, {"message": f"Pull already in progress for {name}", "status": "in_progress", "image_name": name}
    api.pulls[name] = {
        "status": "pulling",
        "started_at": api.now.timestamp(),
        "progress": "Starting pull...",
        "reads": 0,
    }
    return 200, {"message": f"Pull started for {name}", "status": "started", "image_name": name}


def pull_status(api: FakeHummingbotApi, req: Req) -> Reply:
    operations: dict[str, Any] = {}
    for name, info in api.pulls.items():
        if info["status"] == "pulling":
            info["reads"] += 1
            if info["reads"] >= api.pull_reads:
                if api.pull_error:
                    info.update(status="failed", failed_at=api.now.timestamp(), error=api.pull_error)
                else:
                    info.update(status="completed", completed_at=api.now.timestamp(), result={"success": True})
                    api.images.add(name)
        operations[name] = {k: v for k, v in info.items() if k != "reads"}
    return 200, {"pull_operations": operations, "total_operations": len(operations)}


ROUTES = [
    Route("GET", "/docker/available-images/", available_images),
    Route("POST", "/docker/pull-image/", pull_image, has_body=True),
    Route("GET", "/docker/pull-status/", pull_status),
]
