"""RTP header and VP8 payload-descriptor arithmetic for forwarding packets as they are (pure).

The server forwards each publisher's RTP packets to every subscriber after rewriting the fixed
header (SSRC, payload type, sequence number, timestamp) and the header extensions the
subscriber negotiated (RFC 8285 one-byte form); the payload is untouched except for the VP8
picture ID after a source switch (RFC 7741 section 4.2), so that the subscriber's decoder sees
one continuous stream per slot.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

NTP_EPOCH_OFFSET_S = 2_208_988_800  # 1900-01-01 → 1970-01-01
_FIXED_HEADER = struct.Struct("!BBHII")
_EXTENSION_HEAD = b"\xbe\xde"
_PADDING = (b"", b"\x00\x00\x00", b"\x00\x00", b"\x00")


def abs_send_time(wall_s: float) -> bytes:
    """The 24-bit abs-send-time extension value (6.18 fixed point seconds of NTP time)."""
    return (int((wall_s + NTP_EPOCH_OFFSET_S) * 262_144) & 0xFFFFFF).to_bytes(3, "big")


def ntp_timestamp(wall_s: float) -> int:
    """64-bit NTP timestamp (32.32 fixed point) of a ``time.time()`` value."""
    return int((wall_s + NTP_EPOCH_OFFSET_S) * 4_294_967_296) & 0xFFFF_FFFF_FFFF_FFFF


def padding(size: int) -> bytes:
    """RTP padding of ``size`` bytes (RFC 3550 5.1: the last byte is the count)."""
    return b"\x00" * (size - 1) + bytes([size]) if size > 0 else b""


@dataclass(frozen=True, slots=True)
class Vp8Descriptor:
    """What the forwarder needs from a VP8 payload descriptor."""

    length: int  # bytes before the VP8 payload itself
    starts_frame: bool  # S=1 and partition index 0
    keyframe: bool  # starts a key frame (the P bit of the VP8 payload header is 0)
    picture_id_at: int  # offset of the picture ID, or -1 if there is none
    picture_id_bits: int  # 7 or 15


def vp8_descriptor(payload: bytes) -> Vp8Descriptor | None:
    """Parse the RFC 7741 payload descriptor; None if it is malformed."""
    size = len(payload)
    if size < 1:
        return None
    first = payload[0]
    at = 1
    picture_id_at, bits = -1, 0
    if first & 0x80:  # X: extension byte follows
        if size < 2:
            return None
        extension = payload[1]
        at = 2
        if extension & 0x80:  # I: picture ID
            if size <= at:
                return None
            picture_id_at = at
            if payload[at] & 0x80:  # M: 15-bit picture ID
                bits, at = 15, at + 2
            else:
                bits, at = 7, at + 1
        if extension & 0x40:  # L: TL0PICIDX
            at += 1
        if extension & 0x30:  # T or K: TID/Y/KEYIDX
            at += 1
    if at > size:
        return None
    starts = bool(first & 0x10) and first & 0x07 == 0
    keyframe = starts and at < size and payload[at] & 0x01 == 0
    return Vp8Descriptor(at, starts, keyframe, picture_id_at, bits)


def vp8_picture_id(payload: bytes, descriptor: Vp8Descriptor) -> int | None:
    at = descriptor.picture_id_at
    if at < 0:
        return None
    if descriptor.picture_id_bits == 15:
        return ((payload[at] & 0x7F) << 8) | payload[at + 1]
    return payload[at] & 0x7F


def with_vp8_picture_id(payload: bytes, descriptor: Vp8Descriptor, picture_id: int) -> bytes:
    """``payload`` with its picture ID replaced (same width, so nothing else moves)."""
    at = descriptor.picture_id_at
    if at < 0:
        return payload
    if descriptor.picture_id_bits == 15:
        value = (0x8000 | (picture_id & 0x7FFF)).to_bytes(2, "big")
        return payload[:at] + value + payload[at + 2 :]
    return payload[:at] + bytes([picture_id & 0x7F]) + payload[at + 1 :]


@dataclass(frozen=True, slots=True)
class ExtensionIds:
    """RFC 8285 one-byte extension IDs a subscriber negotiated for one section (0 = none)."""

    mid: int = 0
    abs_send_time: int = 0
    audio_level: int = 0


class HeaderWriter:
    """Writes the RTP header of one outgoing stream (one subscriber's slot)."""

    def __init__(self, *, ssrc: int, payload_type: int, mid: str, ids: ExtensionIds) -> None:
        self.ssrc = ssrc
        self.payload_type = payload_type
        mid_bytes = mid.encode()
        mid_element = (
            bytes([(ids.mid << 4) | (len(mid_bytes) - 1)]) + mid_bytes
            if ids.mid and 0 < len(mid_bytes) <= 16
            else b""
        )
        self._send_time = bool(ids.abs_send_time)
        self._level = bool(ids.audio_level)
        # Everything but the per-packet values is fixed per stream: (head, tail) around the
        # abs-send-time value, without and with an audio level element after it.
        ast_id = bytes([(ids.abs_send_time << 4) | 2]) if ids.abs_send_time else b""
        self._plain = self._frame(mid_element + ast_id, 3 if ids.abs_send_time else 0)
        level_id = bytes([ids.audio_level << 4]) if ids.audio_level else b""
        self._leveled = self._frame(mid_element + ast_id, (3 if ids.abs_send_time else 0) + 2)
        self._level_id = level_id

    @staticmethod
    def _frame(fixed: bytes, variable: int) -> tuple[bytes, bytes]:
        size = len(fixed) + variable
        if size == 0:
            return b"", b""
        pad = _PADDING[size & 3]
        words = (size + len(pad)) >> 2
        return _EXTENSION_HEAD + words.to_bytes(2, "big") + fixed, pad

    def extensions(self, send_time: bytes, audio_level: int | None) -> bytes:
        """The header extension block: mid, abs-send-time and audio level as negotiated."""
        if audio_level is None or not self._level:
            head, tail = self._plain
            return head + send_time + tail if self._send_time else head + tail
        head, tail = self._leveled
        level = self._level_id + bytes([audio_level])
        return (head + send_time + level if self._send_time else head + level) + tail

    def header(
        self, sequence: int, timestamp: int, marker: int, padded: bool, extensions: bytes
    ) -> bytes:
        first = 0x80 | (0x20 if padded else 0) | (0x10 if extensions else 0)
        second = (marker << 7) | self.payload_type
        return _FIXED_HEADER.pack(first, second, sequence, timestamp, self.ssrc) + extensions


def header_length(packet: bytes) -> int:
    """Length of an RTP packet's header including CSRCs and extensions."""
    length = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:
        length += 4 + 4 * int.from_bytes(packet[length + 2 : length + 4], "big")
    return length


def rtx_packet(packet: bytes, *, payload_type: int, sequence: int, ssrc: int) -> bytes:
    """RFC 4588: the retransmission of ``packet`` on the RTX stream (OSN before the payload)."""
    length = header_length(packet)
    second = (packet[1] & 0x80) | payload_type
    original_sequence = packet[2:4]
    header = (
        bytes([packet[0], second])
        + sequence.to_bytes(2, "big")
        + packet[4:8]
        + ssrc.to_bytes(4, "big")
        + packet[12:length]
    )
    return header + original_sequence + packet[length:]


def packet_sequence(packet: bytes) -> int:
    return int.from_bytes(packet[2:4], "big")
