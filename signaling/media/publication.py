"""One publisher's audio or video track as the engine holds it: every RTP packet it sends is
fanned out to the slots that show it (``forwarding.SlotStream``), whole frames go to the
recording's tap, and keyframe requests to the publisher are rate-limited.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiortc.rtp import RtpPacket

from signaling.media.forwarding import SlotStream
from signaling.media.frames import Vp8FrameAssembler
from signaling.media.rtp_packets import Vp8Descriptor, abs_send_time, padding, vp8_descriptor

log = logging.getLogger(__name__)

KEYFRAME_REQUEST_INTERVAL_S = 0.3
# (publication, one whole encoded frame, its RTP timestamp, keyframe) → the recording
FrameTap = Callable[["PublishedTrack", bytes, int, bool], None]


class PublishedTrack:
    """One publisher's audio or video: its RTP packets fanned out to slots, and the tap."""

    def __init__(
        self,
        kind: str,
        *,
        participant_id: int,
        request_pli: Callable[[], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.participant_id = participant_id
        self.slots: tuple[SlotStream, ...] = ()
        self.packets = 0
        # (RTP timestamp, time.time()) of the publisher's last RTCP sender report
        self.sender_report: tuple[int, float] | None = None
        # What the court heard, for the recording: whole frames (muted audio is not).
        self.tap: FrameTap | None = None
        self._muted = False
        self._is_video = kind == "video"
        self._assembler = Vp8FrameAssembler() if self._is_video else None
        self._request_pli = request_pli
        self._clock = clock
        self._last_request = -KEYFRAME_REQUEST_INTERVAL_S
        self._pending_request: asyncio.Task[None] | None = None

    @property
    def muted(self) -> bool:
        return self._muted

    @muted.setter
    def muted(self, muted: bool) -> None:
        if self._muted and not muted:
            for slot in self.slots:
                slot.resume()
        self._muted = muted

    def add_slot(self, slot: SlotStream) -> None:
        if slot not in self.slots:
            self.slots = (*self.slots, slot)

    def remove_slot(self, slot: SlotStream) -> None:
        self.slots = tuple(s for s in self.slots if s is not slot)

    def on_sender_report(self, rtp_timestamp: int, wall_s: float) -> None:
        self.sender_report = (rtp_timestamp, wall_s)

    def on_rtp(self, packet: RtpPacket) -> None:
        """Every packet the publisher sends (RTX already unwrapped), as it arrives."""
        self.packets += 1
        if self._muted:
            return
        payload = packet.payload
        descriptor: Vp8Descriptor | None = None
        if self._is_video:
            descriptor = vp8_descriptor(payload)
            if descriptor is None:
                return
            keyframe = descriptor.keyframe
        else:
            keyframe = True
        body = payload + padding(packet.padding_size) if packet.padding_size else payload
        wall_s = time.time()
        send_time = abs_send_time(wall_s)
        level = packet.extensions.audio_level
        audio_level = None if level is None else (0x80 if level[0] else 0) | (level[1] & 0x7F)
        for slot in self.slots:
            pending = slot.forward(
                packet, body, descriptor, keyframe, send_time, audio_level, wall_s
            )
            if pending is not None:
                slot.send_later(pending)
        if self.tap is not None and payload:
            self._to_tap(packet, descriptor)

    def _to_tap(self, packet: RtpPacket, descriptor: Vp8Descriptor | None) -> None:
        assert self.tap is not None
        try:
            if self._assembler is None:
                self.tap(self, packet.payload, packet.timestamp, True)
                return
            assert descriptor is not None
            lost = self._assembler.lost
            frame = self._assembler.add(packet, descriptor)
            if self._assembler.lost != lost:
                self.request_keyframe()  # the recording restarts from a keyframe
            if frame is not None:
                self.tap(self, frame, packet.timestamp, self._assembler.keyframe)
        except Exception:  # a recording problem must never stop the forwarding
            log.exception("participant %s: %s tap failed", self.participant_id, self.kind)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe: at most one PLI every 300 ms, and one asked for
        sooner is sent when the 300 ms are over (not dropped)."""
        if self._pending_request is not None and not self._pending_request.done():
            return
        now = self._clock()
        delay_s = max(0.0, self._last_request + KEYFRAME_REQUEST_INTERVAL_S - now)
        self._last_request = now + delay_s
        self._pending_request = asyncio.create_task(self._send_pli(delay_s))

    async def _send_pli(self, delay_s: float) -> None:
        try:
            if delay_s > 0:
                await asyncio.sleep(delay_s)  # the rate limit, not synchronisation
            await self._request_pli()
        except ConnectionError:
            log.debug("participant %s: keyframe request not sent", self.participant_id)
        except Exception:
            log.exception("participant %s: keyframe request failed", self.participant_id)

    async def close(self) -> None:
        self.tap = None
        for slot in self.slots:
            slot.assign(None)
        if self._pending_request is not None:
            self._pending_request.cancel()
            await asyncio.gather(self._pending_request, return_exceptions=True)
