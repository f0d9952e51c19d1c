"""Fan-out of one published track's RTP packets to the subscriber slots that show it: the
slots (``SlotStream``); the publication that feeds them is ``publication.PublishedTrack``.

Packets are forwarded as they arrive, on the event loop, without a jitter buffer, frame
assembly, packetiser or queue: each ``SlotStream`` rewrites the header for its subscriber
(SSRC, payload type, sequence number, timestamp, header extensions; the VP8 picture ID after a
source switch), SRTP-protects it and sends it. Video to a subscriber starts at a keyframe
(asked for with a PLI) after every (re)assignment, audio-only switch or connection; sequence
numbers and timestamps stay continuous across switches and dropped stretches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from aiortc.rtp import RtcpSenderInfo, RtpPacket

from signaling.media.rtp_packets import (
    HeaderWriter,
    Vp8Descriptor,
    packet_sequence,
    rtx_packet,
    vp8_picture_id,
    with_vp8_picture_id,
)
from signaling.media.rtp_send import PacketSender, SendConfig, sender_info

log = logging.getLogger(__name__)

# Sent video packets kept per slot for NACKs: ~3.7 s at 600 kbps (Chrome stops asking ~1 s on).
NACK_HISTORY_PACKETS = 256
_HISTORY_MASK = NACK_HISTORY_PACKETS - 1
# A receiver may NACK the same packet again before (or although) it got the retransmission
# (aiortc repeats its whole missing list at every new gap): resend one packet at most every
# 100 ms and 4 times, so that loss never multiplies into a retransmission storm.
RETRANSMIT_INTERVAL_S = 0.1
RETRANSMIT_MAX = 4
# Packets waiting for the general (awaited) send path; the oldest go first when it falls behind.
OUTBOX_PACKETS = 512
CLOCK_RATE = {"video": 90_000, "audio": 48_000}


class SlotSource(Protocol):
    """The publication a slot shows (``publication.PublishedTrack``)."""

    # (RTP timestamp, time.time()) of the publisher's last RTCP sender report
    sender_report: tuple[int, float] | None

    def request_keyframe(self) -> None: ...
    def add_slot(self, slot: SlotStream) -> None: ...
    def remove_slot(self, slot: SlotStream) -> None: ...


class SlotStream:
    """One subscriber's outgoing stream on one pre-allocated slot section (audio or video).

    It carries whichever publisher track is assigned to it. Nothing is sent before the
    subscriber's connection is up (``configure``, called by the sender hook).
    """

    def __init__(self, kind: str, label: str) -> None:
        self.kind = kind
        self.label = label
        self.clock_rate = CLOCK_RATE[kind]
        self.source: SlotSource | None = None
        self.waiting_for_keyframe = kind == "video"
        self.enabled = True
        self.forwarded = 0
        self.dropped = 0
        self.retransmitted = 0
        self.config: SendConfig | None = None
        self._writer: HeaderWriter | None = None
        self._transmitter: PacketSender | None = None
        self._fast_send: Callable[[bytes], bool] | None = None
        self._history: list[bytes | None] | None = (
            [None] * NACK_HISTORY_PACKETS if kind == "video" else None
        )
        # rewriting: out = in + offset; re-based after a switch or a dropped stretch
        self._rebase = True
        self._based_on: SlotSource | None = None
        self._seq_offset = 0
        self._ts_offset = 0
        self._picture_id_offset = 0
        self._last_seq = -1
        self._last_ts = 0
        self._last_wall = 0.0
        self._last_body = b""
        self._last_descriptor: Vp8Descriptor | None = None
        self._rtx_seq = 0
        self._octets = 0
        self._resent: dict[int, tuple[float, int]] = {}  # sequence → (last time, count)
        self._outbox: deque[bytes] = deque()
        self._draining: asyncio.Task[None] | None = None
        self._clock = time.monotonic

    # -- the sender hook's side ------------------------------------------------------------

    def configure(self, config: SendConfig, transmitter: PacketSender) -> None:
        self.config = config
        self._writer = HeaderWriter(
            ssrc=config.ssrc, payload_type=config.payload_type, mid=config.mid,
            ids=config.extension_ids,
        )  # fmt: skip
        self._transmitter = transmitter
        self._fast_send = transmitter.fast_send
        self._rtx_seq = config.rtx_ssrc & 0x7FFF
        self.request_keyframe()  # connected: the first keyframe can come now

    async def retransmit(self, sequences: list[int]) -> None:
        history, config = self._history, self.config
        if history is None or config is None:
            return
        now = self._clock()
        if len(self._resent) > NACK_HISTORY_PACKETS:
            self._resent.clear()
        for sequence in sequences:
            data = history[sequence & _HISTORY_MASK]
            if data is None or packet_sequence(data) != sequence:
                continue  # never sent, or too old
            last, count = self._resent.get(sequence, (-RETRANSMIT_INTERVAL_S, 0))
            if now - last < RETRANSMIT_INTERVAL_S or count >= RETRANSMIT_MAX:
                continue
            self._resent[sequence] = (now, count + 1)
            if config.rtx_payload_type is not None:
                data = rtx_packet(
                    data, payload_type=config.rtx_payload_type, sequence=self._rtx_seq,
                    ssrc=config.rtx_ssrc,
                )  # fmt: skip
                self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
            self.retransmitted += 1
            await self.send(data)

    def sender_info(self, wall_s: float) -> RtcpSenderInfo | None:
        """The sender report for what this stream has sent, on the publisher's A/V clock."""
        if self.forwarded == 0:
            return None
        source = self._based_on
        if source is not None and source.sender_report is not None:
            rtp_in, report_wall = source.sender_report
            rtp = rtp_in + int((wall_s - report_wall) * self.clock_rate) + self._ts_offset
        else:
            rtp = self._last_ts + int((wall_s - self._last_wall) * self.clock_rate)
        return sender_info(wall_s, rtp, self.forwarded, self._octets)

    # -- forwarding ------------------------------------------------------------------------

    def forward(
        self, packet: RtpPacket, body: bytes, descriptor: Vp8Descriptor | None, keyframe: bool,
        send_time: bytes, audio_level: int | None, wall_s: float,
    ) -> bytes | None:  # fmt: skip
        """Rewrite and send one packet; returns it when it must go through ``send``."""
        writer = self._writer
        if writer is None or not self.enabled:
            return None
        if self.waiting_for_keyframe:
            if not keyframe:
                self.dropped += 1
                self.request_keyframe()
                return None
            self.waiting_for_keyframe = False
        if self._rebase:
            self._rebase_on(packet, body, descriptor, wall_s)
        sequence = (packet.sequence_number + self._seq_offset) & 0xFFFF
        timestamp = (packet.timestamp + self._ts_offset) & 0xFFFFFFFF
        if descriptor is not None:
            if self._picture_id_offset:
                picture_id = vp8_picture_id(body, descriptor)
                if picture_id is not None:
                    body = with_vp8_picture_id(
                        body, descriptor, picture_id + self._picture_id_offset
                    )
            self._last_body, self._last_descriptor = body, descriptor
        extensions = writer.extensions(send_time, audio_level)
        padded = packet.padding_size > 0
        data = writer.header(sequence, timestamp, packet.marker, padded, extensions) + body
        if self._history is not None:
            self._history[sequence & _HISTORY_MASK] = data
        self._last_seq, self._last_ts, self._last_wall = sequence, timestamp, wall_s
        self.forwarded += 1
        self._octets += len(packet.payload)
        send = self._fast_send
        if send is None:
            return data
        try:
            if not send(data):
                return data  # the connection's pair is not plain UDP now
        except ConnectionError:
            self.dropped += 1
        except Exception:
            self._broken()
        return None

    def send_later(self, data: bytes) -> None:
        """Queue a packet for the general path (TURN, TCP), sent in order by one task."""
        if len(self._outbox) >= OUTBOX_PACKETS:
            self._outbox.popleft()
            self.dropped += 1
        self._outbox.append(data)
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._outbox:
                await self.send(self._outbox.popleft())
        finally:
            self._draining = None

    async def send(self, data: bytes) -> None:
        try:
            if self._fast_send is not None and self._fast_send(data):
                return
            if self._transmitter is not None:
                await self._transmitter.send(data)
        except ConnectionError:
            self.dropped += 1
        except Exception:
            self._broken()

    def _broken(self) -> None:
        """The subscriber's transport failed in an unexpected way: stop sending to it (its
        connection is replaced or closed by the hearing)."""
        log.warning("slot %s: sending failed, slot stopped", self.label, exc_info=True)
        self.dropped += 1
        self._writer = None
        self._fast_send = None
        self._transmitter = None

    def _rebase_on(
        self, packet: RtpPacket, body: bytes, descriptor: Vp8Descriptor | None, wall_s: float
    ) -> None:
        """Continue this stream's numbering from ``packet`` on (first packet, switch, gap)."""
        self._rebase = False
        source = self.source
        if self._last_seq < 0:  # the first packet on this stream: keep the source's numbers
            self._based_on = source
            return
        self._seq_offset = (self._last_seq + 1 - packet.sequence_number) & 0xFFFF
        if self._based_on is source:
            return  # same source after a pause: its timestamps and picture IDs run on
        self._based_on = source
        step = max(1, int((wall_s - self._last_wall) * self.clock_rate))
        self._ts_offset = (self._last_ts + step - packet.timestamp) & 0xFFFFFFFF
        self._picture_id_offset = 0
        if descriptor is not None and self._last_descriptor is not None:
            last = vp8_picture_id(self._last_body, self._last_descriptor)
            new = vp8_picture_id(body, descriptor)
            if last is not None and new is not None:
                self._picture_id_offset = (last + 1 - new) & 0x7FFF

    def request_keyframe(self) -> None:
        if self.kind == "video" and self.source is not None:
            self.source.request_keyframe()

    # -- membership ------------------------------------------------------------------------

    def assign(self, source: SlotSource | None) -> None:
        if self.source is source:
            return
        if self.source is not None:
            self.source.remove_slot(self)
        self.source = source
        self._rebase = True
        self.waiting_for_keyframe = self.kind == "video"
        if source is not None:
            source.add_slot(self)
            if self._writer is not None:
                self.request_keyframe()

    def resume(self) -> None:
        """Continue after a stretch that was not forwarded (mute)."""
        self._rebase = True

    def set_enabled(self, enabled: bool) -> None:
        if enabled and not self.enabled:
            self.waiting_for_keyframe = self.kind == "video"
            self._rebase = True
            self.enabled = True
            self.request_keyframe()
        self.enabled = enabled

    def stop(self) -> None:
        self.assign(None)
        self._outbox.clear()
        if self._draining is not None:
            self._draining.cancel()
        self._writer = None
        self._fast_send = None
        self._transmitter = None
