"""Whole encoded frames from forwarded RTP packets, for the recording (pure).

The forwarder never assembles frames; only a recorded track does, here: a VP8 frame is the
payloads (minus their RFC 7741 descriptors) from the packet that starts it to the one with the
marker bit, with consecutive sequence numbers. An incomplete frame is lost, and so is every
frame after it until the next keyframe (they would not decode); the caller asks the publisher
for one. Opus needs no assembly: one packet is one frame.
"""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from signaling.media.rtp_packets import Vp8Descriptor


class Vp8FrameAssembler:
    def __init__(self) -> None:
        self.lost = 0  # frames lost so far (incomplete, or after an incomplete one)
        self.keyframe = False  # whether the frame ``add`` last returned is a keyframe
        self._timestamp: int | None = None
        self._done_timestamp: int | None = None
        self._parts: list[bytes] = []
        self._next_sequence = -1
        self._intact = False
        self._starts_keyframe = False
        self._await_keyframe = False

    def add(self, packet: RtpPacket, descriptor: Vp8Descriptor) -> bytes | None:
        """Add one packet (in arrival order); returns a whole frame when one completes."""
        sequence = packet.sequence_number
        if packet.timestamp == self._done_timestamp:
            return None  # a late copy (retransmission) of a frame already complete or lost
        if packet.timestamp != self._timestamp or not self._parts:
            if self._parts:  # the previous frame never got its last packet
                self._lose()
            self._timestamp = packet.timestamp
            self._parts = []
            self._intact = descriptor.starts_frame
            self._starts_keyframe = descriptor.keyframe
        elif sequence != self._next_sequence:
            self._intact = False
        self._next_sequence = (sequence + 1) & 0xFFFF
        self._parts.append(packet.payload[descriptor.length :])
        if not packet.marker:
            return None
        parts, self._parts = self._parts, []
        self._done_timestamp = packet.timestamp
        if not self._intact:
            self._lose()
            return None
        if self._await_keyframe and not self._starts_keyframe:
            self.lost += 1
            return None
        self._await_keyframe = False
        self.keyframe = self._starts_keyframe
        return b"".join(parts)

    def _lose(self) -> None:
        self._done_timestamp = self._timestamp
        self.lost += 1
        self._await_keyframe = True
        self._parts = []
