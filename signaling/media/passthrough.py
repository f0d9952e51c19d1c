"""The one place that touches aiortc internals (aiortc 1.16): decode and encode become no-ops.

``RTCRtpReceiver``'s decoder thread calls the module-level ``aiortc.rtcrtpreceiver.get_decoder``
and hands each complete encoded frame (a ``JitterFrame``: ``data``, ``timestamp``) to
``decoder.decode``. Our decoder wraps the bytes in an ``av.Packet`` instead, so every remote
track yields encoded packets. ``RTCRtpSender._next_encoded_frame`` calls
``aiortc.rtcrtpsender.get_encoder`` and, for a packet, ``encoder.pack(packet)``; our encoder only
packs. So the server never runs a real VP8/Opus decoder or encoder. ``check_internals`` fails
loudly if an aiortc upgrade moves any of this.
"""

from __future__ import annotations

import inspect
from fractions import Fraction
from typing import Any

import aiortc.rtcrtpreceiver as rtcrtpreceiver
import aiortc.rtcrtpsender as rtcrtpsender
import av
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import convert_timebase

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
SUPPORTED_MIME_TYPES = frozenset({"video/vp8", "audio/opus"})


class UnsupportedCodec(ValueError):
    pass


def vp8_is_keyframe(data: bytes) -> bool:
    """RFC 6386 section 9.1: bit 0 of the frame tag is 0 for a key frame."""
    return bool(data) and data[0] & 0x01 == 0


class PassthroughDecoder:
    """Turns each complete encoded frame into a packet; decodes nothing."""

    def __init__(self, mime_type: str) -> None:
        self.is_video = mime_type == "video/vp8"
        self.time_base = Fraction(1, VIDEO_CLOCK if self.is_video else AUDIO_CLOCK)

    def decode(self, encoded_frame: Any) -> list[av.Packet[Any]]:
        data = bytes(encoded_frame.data)
        if not data:
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

    def encode(self, frame: Any, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise RuntimeError("the forwarding server never encodes media")

    def pack(self, packet: av.Packet[Any]) -> tuple[list[bytes], int]:
        assert packet.pts is not None
        assert packet.time_base is not None
        timestamp = convert_timebase(packet.pts, packet.time_base, Fraction(1, self.clock))
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
    return PassthroughDecoder(_mime(codec))


def pack_only_encoder(codec: Any) -> PackOnlyEncoder:
    return PackOnlyEncoder(_mime(codec))


def check_internals() -> None:
    """Raise if the aiortc internals this module relies on have moved."""
    problems = []
    if not hasattr(rtcrtpreceiver, "get_decoder"):
        problems.append("aiortc.rtcrtpreceiver.get_decoder is gone")
    if "get_decoder(codec)" not in inspect.getsource(rtcrtpreceiver.decoder_worker):
        problems.append("decoder_worker no longer calls get_decoder(codec)")
    if not hasattr(rtcrtpsender, "get_encoder"):
        problems.append("aiortc.rtcrtpsender.get_encoder is gone")
    source = inspect.getsource(rtcrtpsender.RTCRtpSender._next_encoded_frame)
    if ".pack(data)" not in source:
        problems.append("RTCRtpSender._next_encoded_frame no longer packs packets")
    for name in ("_send_keyframe", "_handle_rtcp_packet"):
        if not hasattr(rtcrtpsender.RTCRtpSender, name):
            problems.append(f"RTCRtpSender.{name} is gone")
    if not hasattr(rtcrtpreceiver.RTCRtpReceiver, "_send_rtcp_pli"):
        problems.append("RTCRtpReceiver._send_rtcp_pli is gone")
    if not hasattr(Vp8Encoder, "_packetize"):
        problems.append("Vp8Encoder._packetize is gone")
    if problems:
        raise RuntimeError("aiortc internals moved: " + "; ".join(problems))


def install() -> None:
    """Idempotently switch this process's aiortc to pass-through media."""
    check_internals()
    setattr(rtcrtpreceiver, "get_decoder", passthrough_decoder)  # noqa: B010
    setattr(rtcrtpsender, "get_encoder", pack_only_encoder)  # noqa: B010


def installed() -> bool:
    return getattr(rtcrtpreceiver, "get_decoder", None) is passthrough_decoder
