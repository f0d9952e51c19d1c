"""Facts read from encoded bytes, so packets can be muxed without decoding."""

from __future__ import annotations

# Frame length in tenths of a millisecond per TOC configuration number (0..31).
_FRAME_TENTHS_MS = (
    [100, 200, 400, 600] * 3  # SILK-only NB/MB/WB
    + [100, 200] * 2  # Hybrid SWB/FB
    + [25, 50, 100, 200] * 4  # CELT-only NB/WB/SWB/FB
)


def opus_duration_ms(packet: bytes) -> int:
    """Duration of one Opus packet in whole milliseconds (at least 1; 20 if unparsable)."""
    if not packet:
        return 20
    toc = packet[0]
    frame_tenths = _FRAME_TENTHS_MS[toc >> 3]
    code = toc & 0x03
    if code == 0:
        frames = 1
    elif code in (1, 2):
        frames = 2
    elif len(packet) >= 2:
        frames = packet[1] & 0x3F
    else:
        return 20
    return max(1, frames * frame_tenths // 10)


def vp8_keyframe_size(frame: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (RFC 6386 §9.1); None for other frames."""
    if len(frame) < 10 or frame[0] & 0x01 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    width = (frame[6] | frame[7] << 8) & 0x3FFF
    height = (frame[8] | frame[9] << 8) & 0x3FFF
    return (width, height) if width and height else None
