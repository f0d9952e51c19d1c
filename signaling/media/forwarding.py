"""Fan-out of encoded packets from one published track to the slots that subscribe to it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

log = logging.getLogger(__name__)

# Bounded per-subscriber queues: about 2 s of video, 1 s of audio. A subscriber whose sender
# cannot keep up loses the oldest media instead of growing memory and latency.
SLOT_QUEUE_PACKETS = {"video": 30, "audio": 50}
KEYFRAME_REQUEST_INTERVAL_S = 0.3


class SlotTrack(MediaStreamTrack):
    """What one subscriber's sender sends on one pre-allocated slot.

    It yields the packets of whichever publisher track is assigned to it. Video waits for a
    keyframe after every (re)assignment or overflow, and asks the publisher for one.
    """

    def __init__(self, kind: str, label: str) -> None:
        super().__init__()
        self.kind = kind
        self.label = label
        self._queue: asyncio.Queue[av.Packet[Any]] = asyncio.Queue(maxsize=SLOT_QUEUE_PACKETS[kind])
        self.source: PublishedTrack | None = None
        self.waiting_for_keyframe = kind == "video"
        self.enabled = True
        self.forwarded = 0
        self.dropped = 0

    async def recv(self) -> av.Packet[Any]:  # type: ignore[override]
        if self.readyState != "live":
            raise MediaStreamError
        return await self._queue.get()

    def push(self, packet: av.Packet[Any]) -> None:
        if not self.enabled:
            return
        if self.waiting_for_keyframe:
            if not packet.is_keyframe:
                self.dropped += 1
                self.request_keyframe()
                return
            self.waiting_for_keyframe = False
        if self._queue.full():
            self.dropped += 1
            if self.kind == "audio":
                self._queue.get_nowait()  # drop the oldest
            else:
                # A lost video frame breaks every frame after it until the next keyframe,
                # so drop everything queued and start again from a fresh keyframe.
                self._drain()
                self.waiting_for_keyframe = True
                self.request_keyframe()
                if not packet.is_keyframe:
                    return
                self.waiting_for_keyframe = False
        self._queue.put_nowait(packet)
        self.forwarded += 1

    def request_keyframe(self) -> None:
        if self.kind == "video" and self.source is not None:
            self.source.request_keyframe()

    def assign(self, source: PublishedTrack | None) -> None:
        if self.source is source:
            return
        if self.source is not None:
            self.source.slots.discard(self)
        self.source = source
        self._drain()
        self.waiting_for_keyframe = self.kind == "video"
        if source is not None:
            source.slots.add(self)
            self.request_keyframe()

    def set_enabled(self, enabled: bool) -> None:
        if enabled and not self.enabled:
            self.waiting_for_keyframe = self.kind == "video"
            self.request_keyframe()
        self.enabled = enabled
        if not enabled:
            self._drain()

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    def stop(self) -> None:
        self.assign(None)
        super().stop()


class PublishedTrack:
    """One remote track of a publisher, consumed continuously by one task it owns."""

    def __init__(
        self,
        track: MediaStreamTrack,
        *,
        participant_id: int,
        request_pli: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.track = track
        self.kind: str = track.kind
        self.participant_id = participant_id
        self.slots: set[SlotTrack] = set()
        self.muted = False
        self.packets = 0
        # What the court heard, for the recording: forwarded packets (muted audio is not).
        self.tap: Callable[[PublishedTrack, av.Packet[Any]], None] | None = None
        self._request_pli = request_pli
        self._clock = clock
        self._last_request = -KEYFRAME_REQUEST_INTERVAL_S
        self._pending_request: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] = asyncio.create_task(
            self._consume(), name=f"consume-{participant_id}-{self.kind}"
        )

    async def _consume(self) -> None:
        try:
            while True:
                packet: Any = await self.track.recv()
                self.packets += 1
                if self.muted or not isinstance(packet, av.Packet):
                    continue
                for slot in tuple(self.slots):
                    slot.push(packet)
                if self.tap is not None:
                    self._tap(packet)
        except MediaStreamError:
            log.debug("participant %s: %s track ended", self.participant_id, self.kind)
        except Exception:
            log.exception(
                "participant %s: %s track consumer failed", self.participant_id, self.kind
            )

    def _tap(self, packet: av.Packet[Any]) -> None:
        assert self.tap is not None
        try:
            self.tap(self, packet)
        except Exception:  # a recording problem must never stop the forwarding
            log.exception("participant %s: %s tap failed", self.participant_id, self.kind)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe, at most every 300 ms."""
        now = self._clock()
        if now - self._last_request < KEYFRAME_REQUEST_INTERVAL_S:
            return
        if self._pending_request is not None and not self._pending_request.done():
            return
        self._last_request = now
        self._pending_request = asyncio.create_task(self._send_pli())

    async def _send_pli(self) -> None:
        try:
            await self._request_pli()
        except ConnectionError:
            log.debug("participant %s: keyframe request not sent", self.participant_id)
        except Exception:
            log.exception("participant %s: keyframe request failed", self.participant_id)

    async def close(self) -> None:
        for slot in tuple(self.slots):
            slot.assign(None)
        tasks = [self._task]
        if self._pending_request is not None:
            tasks.append(self._pending_request)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
