"""Synthetic aiortc participants against the real forwarding engine, in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bench.synthetic import Clip, SyntheticParticipant, make_clip
from signaling.media.hearing_media import HearingMedia, TrackMap


@pytest.fixture(scope="session")
def clip() -> Clip:
    return make_clip(6.0)


class Room:
    def __init__(self, media: HearingMedia, clip: Clip) -> None:
        self.media = media
        self.clip = clip
        self.clients: dict[int, SyntheticParticipant] = {}
        self.track_maps: dict[int, TrackMap] = {}

    async def join(
        self, pid: int, *, publish: bool = True, receive: bool = True, slots: int = 7,
        send_anyway: bool = False,
    ) -> SyntheticParticipant:  # fmt: skip
        client = SyntheticParticipant(
            f"p{pid}", self.clip if publish or send_anyway else None, slots=slots
        )
        answer = await self.media.attach(
            pid, await client.offer(), publish=publish, receive=receive
        )
        await client.accept(answer)
        old = self.clients.pop(pid, None)
        if old is not None:
            await old.close()
        self.clients[pid] = client
        return client

    def mid_of(self, subscriber: int, publisher: int, kind: str) -> str | None:
        for incoming in self.track_maps.get(subscriber, {}).values():
            if incoming.participant_id == publisher and incoming.kind == kind:
                return incoming.mid
        return None

    def packets(self, subscriber: int, publisher: int, kind: str) -> int:
        mid = self.mid_of(subscriber, publisher, kind)
        if mid is None:
            return 0
        return self.clients[subscriber].counter_for(mid).packets

    def counter(self, subscriber: int, publisher: int, kind: str) -> Any:
        mid = self.mid_of(subscriber, publisher, kind)
        assert mid is not None, f"{subscriber} has no slot for {publisher}"
        return self.clients[subscriber].counter_for(mid)


@pytest.fixture
async def room(clip: Clip) -> AsyncIterator[Room]:
    holder: dict[str, Room] = {}

    def on_map(pid: int, track_map: TrackMap) -> None:
        holder["room"].track_maps[pid] = track_map

    media = HearingMedia(1, on_track_map=on_map)
    holder["room"] = Room(media, clip)
    try:
        yield holder["room"]
    finally:
        for client in holder["room"].clients.values():
            await client.close()
        await media.close()
        await asyncio.sleep(0)


@pytest.fixture
def flowing(room: Room) -> Callable[[list[int]], Awaitable[None]]:
    """Wait until every pair of the given publishers exchanges video and audio."""
    from tests.support.waiting import until

    async def wait(pids: list[int]) -> None:
        def all_flowing() -> bool:
            return all(
                room.packets(s, p, kind) > 5
                for s in pids for p in pids if s != p for kind in ("audio", "video")
            )  # fmt: skip

        await until(all_flowing, timeout_s=15, what=f"media between {pids}")

    return wait
