"""Synthetic aiortc participants against the real forwarding engine, in-process."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bench.synthetic import Clip, SyntheticParticipant, make_clip
from signaling.media import passthrough
from signaling.media.hearing_media import HearingMedia, TrackMap
from tests.support.waiting import until


@pytest.fixture(scope="session")
def clip() -> Clip:
    # A light clip (~1-2 RTP packets a frame) keeps the in-process tests real-time on a busy
    # 2-core machine; bench.media_core measures with the full ~600 kbps.
    return make_clip(6.0, video_bit_rate=150_000)


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

    async def reconnect(self, pid: int) -> SyntheticParticipant:
        """A new client connection for ``pid`` through ``HearingMedia.replace``."""
        client = SyntheticParticipant(f"p{pid}", self.clip)
        answer = await self.media.replace(pid, await client.offer())
        await client.accept(answer)
        await self.clients.pop(pid).close()
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

    loop = asyncio.get_running_loop()
    loop_errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    tasks_before = asyncio.all_tasks()
    passthrough.install()  # what the composition root does for the server's engine
    media = HearingMedia(1, on_track_map=on_map)
    holder["room"] = Room(media, clip)
    try:
        yield holder["room"]
    finally:
        for client in holder["room"].clients.values():
            await client.close()
        await media.close()
    # Closing the engine and the clients ends every task they started: nothing leaks.
    finalizer = asyncio.current_task()

    def leaked() -> set[asyncio.Task[Any]]:
        ours = {finalizer, asyncio.current_task()}  # this fixture and its poll
        return {t for t in asyncio.all_tasks() if not t.done()} - tasks_before - ours

    try:
        await until(lambda: not leaked(), timeout_s=5, what="every media task to end")
    except AssertionError:
        raise AssertionError(f"tasks left running: {sorted(map(repr, leaked()))}") from None
    gc.collect()  # an unretrieved task exception is reported when its task is collected
    await asyncio.sleep(0)
    assert loop_errors == [], loop_errors


@pytest.fixture
def flowing(room: Room) -> Callable[[list[int]], Awaitable[None]]:
    """Wait until every pair of the given publishers exchanges video and audio."""

    async def wait(pids: list[int]) -> None:
        def all_flowing() -> bool:
            return all(
                room.packets(s, p, kind) > 5
                for s in pids for p in pids if s != p for kind in ("audio", "video")
            )  # fmt: skip

        try:
            await until(all_flowing, timeout_s=40, what=f"media between {pids}")
        except AssertionError as exc:
            missing = [
                (s, p, kind, room.mid_of(s, p, kind), room.packets(s, p, kind))
                for s in pids for p in pids if s != p for kind in ("audio", "video")
                if room.packets(s, p, kind) <= 5
            ]  # fmt: skip
            states = {
                pid: (room.clients[pid].pc.connectionState, room.media.peers[pid].connection_state)
                for pid in pids
            }
            raise AssertionError(
                f"{exc}; missing (subscriber, publisher, kind, mid, packets): {missing}; "
                f"connection states (client, server): {states}"
            ) from None

    return wait
