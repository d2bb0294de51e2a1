"""Refuse every socket call in a Hummingbot run that must stay offline (the cross-check and controller runs)."""

from __future__ import annotations

import socket

#: The socket calls a run tried (a run that tried any exits 2).
ATTEMPTS: list[str] = []


def refuse_network(purpose: str) -> list[str]:
    """Make name lookups and connections raise ``OSError``; returns the list each attempt is added to."""

    def refuse(name: str):  # noqa: ANN202
        def call(*args: object, **kwargs: object) -> None:
            ATTEMPTS.append(name)
            raise OSError(f"network disabled for the {purpose} ({name})")

        return call

    socket.getaddrinfo = refuse("getaddrinfo")  # type: ignore[assignment]
    socket.create_connection = refuse("create_connection")  # type: ignore[assignment]
    socket.socket.connect = refuse("connect")  # type: ignore[method-assign]
    return ATTEMPTS
