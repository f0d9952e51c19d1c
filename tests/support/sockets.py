"""A real python-socketio client for the hearing namespace, with a bounded event inbox."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import socketio

NAMESPACE = "/hearing"


class SocketClient:
    def __init__(
        self,
        base_url: str,
        hearing_id: int,
        *,
        cookie: str | None = None,
        token: str | None = None,
        origin: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.hearing_id = hearing_id
        self.headers = {"Origin": origin or self.base_url}
        if cookie:
            self.headers["Cookie"] = cookie
        self.auth: dict[str, Any] = {"hearing_id": hearing_id}
        if token:
            self.auth["token"] = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: list[tuple[str, Any]] = []
        self.cursor = 0  # wait_for consumes the inbox in order, from here
        self._arrived = asyncio.Event()

        async def catch_all(event: str, *args: Any) -> None:
            self.inbox.append((event, args[0] if args else None))
            self._arrived.set()

        self.sio.on("*", catch_all, namespace=NAMESPACE)

    async def connect(self) -> None:
        await self.sio.connect(
            self.base_url, headers=self.headers, auth=self.auth, namespaces=[NAMESPACE],
            transports=["websocket"], wait_timeout=10,
        )  # fmt: skip

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        reply = await self.sio.call(event, data, namespace=NAMESPACE, timeout=15)
        assert isinstance(reply, dict)
        return reply

    async def wait_for(
        self, event: str, predicate: Callable[[Any], bool] = lambda _d: True, timeout_s: float = 10
    ) -> Any:
        async def search() -> Any:
            seen = self.cursor
            while True:
                for index in range(seen, len(self.inbox)):
                    name, data = self.inbox[index]
                    if name == event and predicate(data):
                        self.cursor = index + 1
                        return data
                seen = len(self.inbox)
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(search(), timeout_s)
        except TimeoutError:
            raise AssertionError(
                f"no {event!r} within {timeout_s} s; got {self.events()}"
            ) from None

    def events(self) -> list[str]:
        return [name for name, _ in self.inbox]

    async def close(self) -> None:
        await self.sio.disconnect()


def member(snapshot: dict[str, Any], participant_id: int) -> dict[str, Any]:
    found = [m for m in snapshot["members"] if m["participant_id"] == participant_id]
    return found[0] if found else {}
