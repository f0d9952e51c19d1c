"""The one place that touches aiortc internals (aiortc 1.16): decode and encode become no-ops.

``RTCRtpReceiver``'s decoder thread calls the module-level ``aiortc.rtcrtpreceiver.get_decoder``
and hands each complete encoded frame (a ``JitterFrame``: ``data``, ``timestamp``) to
``decoder.decode``. Our decoder wraps the bytes in an ``av.Packet`` instead, so every remote
track yields encoded packets. ``RTCRtpSender._next_encoded_frame`` calls
``aiortc.rtcrtpsender.get_encoder`` and, for a packet, ``encoder.pack(packet)``; our encoder only
packs. So the server never runs a real VP8/Opus decoder or encoder.

With nothing to decode, the decoder thread is pure overhead (two thread hand-offs per frame):
``deliver_on_loop`` swaps a receiver's private decoder queue for one that converts each frame on
the event loop and queues the packet on the receiver's track directly (about -20% server CPU).

Keyframes: a sender that receives PLI/FIR calls its private ``_send_keyframe()`` (meant for an
encoder); ``forward_keyframe_requests`` replaces it per sender, and ``send_pli`` asks a
publisher through the receiver's private ``_send_rtcp_pli``.

``check_internals`` fails loudly if an aiortc upgrade moves any of this.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import aiortc.rtcdtlstransport as rtcdtlstransport
import aiortc.rtcrtpreceiver as rtcrtpreceiver
import aiortc.rtcrtpsender as rtcrtpsender
import av
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import convert_timebase
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters

from signaling.media import internals, rtp_hooks

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
SUPPORTED_MIME_TYPES = frozenset({"video/vp8", "audio/opus"})
MAX_TIMESTAMP_JUMP_S = 10


class UnsupportedCodec(ValueError):
    pass


def vp8_is_keyframe(data: bytes) -> bool:
    """RFC 6386 section 9.1: bit 0 of the frame tag is 0 for a key frame."""
    return bool(data) and data[0] & 0x01 == 0


class PassthroughDecoder:
    """Turns each complete encoded frame into a packet; decodes nothing."""

    def __init__(self, mime_type: str) -> None:
        self.mime_type = mime_type
        self.is_video = mime_type == "video/vp8"
        self.time_base = Fraction(1, VIDEO_CLOCK if self.is_video else AUDIO_CLOCK)

    def decode(self, encoded_frame: JitterFrame) -> list[av.Packet[Any]]:
        data = bytes(encoded_frame.data)
        if not data or self.mime_type not in SUPPORTED_MIME_TYPES:
            return []
        packet = av.Packet(data)
        packet.pts = encoded_frame.timestamp
        packet.dts = encoded_frame.timestamp
        packet.time_base = self.time_base
        packet.is_keyframe = vp8_is_keyframe(data) if self.is_video else True
        return [packet]


class PackOnlyEncoder:
    """Packs pre-encoded packets into RTP payloads; refuses to encode raw frames."""

    def __init__(self, mime_type: str) -> None:
        self.is_video = mime_type == "video/vp8"
        self.picture_id = 0
        self.clock = VIDEO_CLOCK if self.is_video else AUDIO_CLOCK
        # One sender (a subscriber's slot) carries different sources over time: a publisher's
        # reconnect restarts its timestamps at 0, another publisher has another origin. Keep
        # the outgoing timestamps moving forward so the subscriber's jitter buffer copes.
        self._step = self.clock // 30 if self.is_video else 960
        self._offset = 0
        self._last_in: int | None = None
        self._last_out = 0

    def _continuous(self, timestamp: int) -> int:
        if self._last_in is not None:
            delta = timestamp - self._last_in
            if delta < 0 or delta > MAX_TIMESTAMP_JUMP_S * self.clock:
                self._offset = self._last_out + self._step - timestamp
        self._last_in = timestamp
        self._last_out = timestamp + self._offset
        return self._last_out

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise RuntimeError("the forwarding server never encodes media")

    def pack(self, packet: av.Packet[Any]) -> tuple[list[bytes], int]:
        pts, time_base = packet.pts, packet.time_base
        assert pts is not None
        assert time_base is not None
        if time_base.numerator == 1 and time_base.denominator == self.clock:
            timestamp = pts  # the forwarding case: skip Fraction arithmetic on the hot path
        else:
            timestamp = convert_timebase(pts, time_base, Fraction(1, self.clock))
        timestamp = self._continuous(timestamp)
        if not self.is_video:
            return [bytes(packet)], timestamp
        payloads = Vp8Encoder._packetize(bytes(packet), self.picture_id)
        self.picture_id = (self.picture_id + 1) % (1 << 15)
        return payloads, timestamp


def _mime(codec: Any) -> str:
    mime = str(codec.mimeType).lower()
    if mime not in SUPPORTED_MIME_TYPES:
        raise UnsupportedCodec(f"only VP8 and Opus are forwarded, not {mime}")
    return mime


def passthrough_decoder(codec: Any) -> PassthroughDecoder:
    """Never fails (it runs in aiortc's decoder thread): other codecs yield nothing."""
    mime = str(codec.mimeType).lower()
    if mime not in SUPPORTED_MIME_TYPES:
        log.warning("received %s media, which is not forwarded", mime)
    return PassthroughDecoder(mime)


def pack_only_encoder(codec: Any) -> PackOnlyEncoder:
    return PackOnlyEncoder(_mime(codec))


def forward_keyframe_requests(sender: RTCRtpSender, request_keyframe: Callable[[], None]) -> None:
    """Make PLI/FIR that this sender receives call ``request_keyframe`` (no encoder to flag)."""
    sender._send_keyframe = request_keyframe  # type: ignore[method-assign]


async def send_pli(receiver: RTCRtpReceiver) -> None:
    """Ask the remote publisher of ``receiver``'s track for a keyframe (RTCP PLI)."""
    for source in receiver.getSynchronizationSources():
        await receiver._send_rtcp_pli(source.source)


_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"


class LoopFrameQueue:
    """Stands in for a receiver's decoder-thread queue (a ``queue.Queue``).

    aiortc calls ``put((codec, frame))`` on the event loop for each complete frame and
    ``put(None)`` on stop; the decoder thread calls ``get()``. Here ``put`` converts the frame
    at once and queues the packet on the receiver's track; ``get`` only waits for the stop, so
    the thread sleeps until the receiver stops and then ends as usual.
    """

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self._receiver = receiver
        self._decoders: dict[str, PassthroughDecoder] = {}
        self._stopped = threading.Event()

    def put(self, item: tuple[Any, JitterFrame] | None) -> None:
        track = self._receiver._track
        assert track is not None
        track_queue: asyncio.Queue[Any] = track._queue
        if item is None:
            self._stopped.set()
            track_queue.put_nowait(None)
            return
        codec, encoded_frame = item
        decoder = self._decoders.get(codec.mimeType)
        if decoder is None:
            decoder = self._decoders[codec.mimeType] = passthrough_decoder(codec)
        for packet in decoder.decode(encoded_frame):
            track_queue.put_nowait(packet)

    def get(self) -> None:
        self._stopped.wait()
        return None


def deliver_on_loop(receiver: RTCRtpReceiver) -> None:
    """Skip ``receiver``'s decoder thread; call before its remote description is applied."""
    if not hasattr(receiver, _DECODER_QUEUE) or not hasattr(receiver, "_track"):
        raise RuntimeError("aiortc internals moved: RTCRtpReceiver has no decoder queue")
    setattr(receiver, _DECODER_QUEUE, LoopFrameQueue(receiver))


def route_rtx_by_ssrc(receiver: RTCRtpReceiver) -> None:
    """Let retransmissions reach ``receiver`` when its transport bundles several video
    receivers, as a browser does (for the synthetic clients).

    aiortc's RTP router knows a receiver's media SSRC but not its RTX SSRC, and routes an
    unknown SSRC only when a single receiver has that payload type; so with bundled video
    slots every RTX packet is dropped and a lost packet stalls that receiver's jitter buffer.
    """
    receive = receiver.receive

    async def receive_and_route(parameters: RTCRtpReceiveParameters) -> None:
        await receive(parameters)
        table = receiver.transport._rtp_router.ssrc_table
        for encoding in parameters.encodings:
            if encoding.rtx is not None:
                table.setdefault(encoding.rtx.ssrc, receiver)

    receiver.receive = receive_and_route  # type: ignore[method-assign]


# (object, attribute, parameter names) of every private aiortc callable used above.
_SIGNATURES: tuple[tuple[object, str, tuple[str, ...]], ...] = (
    (rtcrtpreceiver, "decoder_worker", ("loop", "input_q", "output_q", "decode_error")),
    (rtcrtpreceiver, "get_decoder", ("codec",)),
    (rtcrtpsender, "get_encoder", ("codec",)),
    (rtcrtpreceiver.RTCRtpReceiver, "_send_rtcp_pli", ("self", "media_ssrc")),
    (rtcrtpreceiver.RTCRtpReceiver, "getSynchronizationSources", ("self",)),
    (rtcrtpsender.RTCRtpSender, "_send_keyframe", ("self",)),
    (rtcrtpsender.RTCRtpSender, "_next_encoded_frame", ("self", "codec")),
    (Vp8Encoder, "_packetize", ("buffer", "picture_id")),
    (JitterFrame, "__init__", ("self", "data", "timestamp")),
)
# (object, attribute, source fragment) that show the data flow this module hooks into.
_RECEIVER = rtcrtpreceiver.RTCRtpReceiver
_SENDER = rtcrtpsender.RTCRtpSender
_SOURCE_FRAGMENTS: tuple[tuple[object, str, str], ...] = (
    (rtcrtpreceiver, "decoder_worker", "decoder = get_decoder(codec)"),
    (rtcrtpreceiver, "decoder_worker", "decoder.decode(encoded_frame)"),
    (rtcrtpreceiver, "decoder_worker", "task = input_q.get()"),
    (_RECEIVER, "_handle_rtp_packet", "depayload(codec, packet.payload)"),
    (_RECEIVER, "_handle_rtp_packet", "self.__decoder_queue.put((codec, encoded_frame))"),
    (_RECEIVER, "__init__", "self.__decoder_queue: queue.Queue = queue.Queue()"),
    (_RECEIVER, "__init__", "self._track: Optional[RemoteStreamTrack] = None"),
    (_RECEIVER, "receive", "self.__decoder_queue,\n"),
    (_RECEIVER, "_RTCRtpReceiver__stop_decoder", "self.__decoder_queue.put(None)"),
    (rtcrtpreceiver.RemoteStreamTrack, "__init__", "self._queue: asyncio.Queue = asyncio.Queue()"),
    (_SENDER, "_next_encoded_frame", "self.__encoder = get_encoder(codec)"),
    (_SENDER, "_next_encoded_frame", "self.__encoder.pack(data)"),
    (_SENDER, "_handle_rtcp_packet", "self._send_keyframe()"),
    (rtcdtlstransport.RtpRouter, "route_rtp", "ssrc_receiver = self.ssrc_table.get(packet.ssrc)"),
    (rtcdtlstransport.RtpRouter, "register_receiver", "self.ssrc_table[ssrc] = receiver"),
)


def check_internals() -> None:
    """Raise if the aiortc internals this module relies on have moved."""
    problems = internals.moved(_SIGNATURES, _SOURCE_FRAGMENTS)
    if not inspect.iscoroutinefunction(rtcrtpreceiver.RTCRtpReceiver._send_rtcp_pli):
        problems.append("RTCRtpReceiver._send_rtcp_pli is no longer a coroutine")
    internals.require_unmoved(problems)


def install() -> None:
    """Idempotently switch this process's aiortc to pass-through media."""
    check_internals()
    rtp_hooks.check_internals()
    setattr(rtcrtpreceiver, "get_decoder", passthrough_decoder)  # noqa: B010
    setattr(rtcrtpsender, "get_encoder", pack_only_encoder)  # noqa: B010


def installed() -> bool:
    return getattr(rtcrtpreceiver, "get_decoder", None) is passthrough_decoder
