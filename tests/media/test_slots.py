"""Fan-out state without a network: keyframe gating, bounded queues, switches, PLI rate limit."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from typing import Any

import av
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from signaling.media.forwarding import SLOT_QUEUE_PACKETS, PublishedTrack, SlotTrack
from tests.support.waiting import until


def packet(keyframe: bool = False, pts: int = 0) -> av.Packet[Any]:
    made = av.Packet(b"\x00" if keyframe else b"\x01")
    made.pts, made.time_base, made.is_keyframe = pts, Fraction(1, 90_000), keyframe
    return made


class QueueTrack(MediaStreamTrack):
    """A publisher's remote track stand-in, fed by the test."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.queue: asyncio.Queue[av.Packet[Any] | None] = asyncio.Queue()

    async def recv(self) -> av.Packet[Any]:  # type: ignore[override]
        item = await self.queue.get()
        if item is None:
            raise MediaStreamError
        return item


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def video() -> Any:
    track = QueueTrack("video")
    requests: list[float] = []
    clock = Clock()

    async def request_pli() -> None:
        requests.append(clock.now)

    published = PublishedTrack(track, participant_id=1, request_pli=request_pli, clock=clock)
    yield track, published, requests, clock
    await published.close()


def queued(slot: SlotTrack) -> list[bool]:
    return [p.is_keyframe for p in list(slot._queue._queue)]  # type: ignore[attr-defined]


async def test_new_video_subscriber_waits_for_a_keyframe_and_asks_once_per_300_ms(
    video: Any,
) -> None:
    _, published, requests, clock = video
    slot = SlotTrack("video", "2:1")
    slot.assign(published)
    await until(lambda: len(requests) == 1, timeout_s=1, what="a keyframe request")
    for _ in range(5):
        slot.push(packet())
    clock.now += 0.1
    slot.push(packet())
    await asyncio.sleep(0)
    assert queued(slot) == [] and len(requests) == 1  # still within 300 ms
    clock.now += 0.3
    slot.push(packet())
    await until(lambda: len(requests) == 2, timeout_s=1, what="a second request")
    slot.push(packet(keyframe=True))
    slot.push(packet())
    assert queued(slot) == [True, False]


async def test_consumer_fans_out_and_mute_stops_it(video: Any) -> None:
    track, published, _, _ = video
    first, second = SlotTrack("video", "2:1"), SlotTrack("video", "3:1")
    first.assign(published)
    second.assign(published)
    for keyframe in (True, False, False):
        track.queue.put_nowait(packet(keyframe))
    await until(lambda: published.packets == 3, timeout_s=1, what="the consumer")
    assert queued(first) == queued(second) == [True, False, False]
    published.muted = True
    track.queue.put_nowait(packet())
    await until(lambda: published.packets == 4, timeout_s=1, what="the consumer")
    assert len(queued(first)) == 3  # consumed (never piles up) but not forwarded
    track.queue.put_nowait(None)  # the publisher's track ends: the consumer stops cleanly
    await until(lambda: published._task.done(), timeout_s=1, what="the consumer to end")


async def test_full_video_queue_restarts_from_a_keyframe(video: Any) -> None:
    _, published, requests, clock = video
    slot = SlotTrack("video", "2:1")
    slot.assign(published)
    await until(lambda: len(requests) == 1, timeout_s=1, what="a keyframe request")
    slot.push(packet(keyframe=True))
    for _ in range(SLOT_QUEUE_PACKETS["video"] - 1):
        slot.push(packet())
    clock.now += 1
    slot.push(packet())  # the subscriber's sender fell behind: a frame must be lost
    assert queued(slot) == [] and slot.waiting_for_keyframe
    await until(lambda: len(requests) == 2, timeout_s=1, what="a keyframe request")


def test_full_audio_queue_drops_the_oldest() -> None:
    slot = SlotTrack("audio", "2:0")
    for pts in range(SLOT_QUEUE_PACKETS["audio"] + 3):
        slot.push(packet(pts=pts))
    kept = [p.pts for p in list(slot._queue._queue)]  # type: ignore[attr-defined]
    assert kept == list(range(3, SLOT_QUEUE_PACKETS["audio"] + 3))
    assert slot.dropped == 3


async def test_audio_only_switch_gates_video_again_when_turned_off(video: Any) -> None:
    _, published, _, _ = video
    slot = SlotTrack("video", "2:1")
    slot.assign(published)
    slot.push(packet(keyframe=True))
    slot.set_enabled(False)
    assert queued(slot) == []
    slot.push(packet(keyframe=True))
    assert queued(slot) == []
    slot.set_enabled(True)
    slot.push(packet())
    assert queued(slot) == []  # a delta frame is useless without the keyframe before it
    slot.push(packet(keyframe=True))
    assert queued(slot) == [True]
