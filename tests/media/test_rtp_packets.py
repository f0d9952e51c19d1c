"""RTP header rewriting and VP8 descriptor parsing, checked against aiortc's own parser."""

from __future__ import annotations

import pytest
from aiortc import clock
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket, unwrap_rtx

from bench.synthetic import Clip
from signaling.media.rtp_packets import (
    ExtensionIds,
    HeaderWriter,
    abs_send_time,
    header_length,
    packet_sequence,
    rtx_packet,
    vp8_descriptor,
    vp8_picture_id,
    with_vp8_picture_id,
)

URIS = {
    "mid": "urn:ietf:params:rtp-hdrext:sdes:mid",
    "ast": "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "level": "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
}


def extension_map(mid: int, ast: int, level: int) -> HeaderExtensionsMap:
    wanted = [(mid, URIS["mid"]), (ast, URIS["ast"]), (level, URIS["level"])]
    parameters = RTCRtpParameters(
        headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in wanted if i]
    )
    extensions = HeaderExtensionsMap()
    extensions.configure(parameters)
    return extensions


@pytest.mark.parametrize(
    "ids", [(1, 3, 0), (1, 0, 2), (4, 3, 2), (0, 0, 0), (0, 3, 0), (14, 13, 12)]
)
@pytest.mark.parametrize("mid", ["1", "12", "abcdefghij"])
@pytest.mark.parametrize("level", [None, 0x85, 0x7F])
def test_headers_parse_back_with_aiortc(
    ids: tuple[int, int, int], mid: str, level: int | None
) -> None:
    writer = HeaderWriter(ssrc=0xDEADBEEF, payload_type=97, mid=mid, ids=ExtensionIds(*ids))
    send_time = b"\x01\x02\x03"
    data = writer.header(65535, 2**32 - 1, 1, False, writer.extensions(send_time, level)) + b"xy"
    packet = RtpPacket.parse(data, extension_map(*ids))
    assert (packet.ssrc, packet.payload_type, packet.sequence_number) == (0xDEADBEEF, 97, 65535)
    assert (packet.timestamp, packet.marker, packet.payload) == (2**32 - 1, 1, b"xy")
    assert packet.extensions.mid == (mid if ids[0] else None)
    assert packet.extensions.abs_send_time == (0x010203 if ids[1] else None)
    expected_level = (bool(level & 0x80), level & 0x7F) if level is not None and ids[2] else None
    assert packet.extensions.audio_level == expected_level
    assert header_length(data) == len(data) - 2


def test_padding_bit_and_abs_send_time_match_aiortc() -> None:
    writer = HeaderWriter(ssrc=1, payload_type=96, mid="0", ids=ExtensionIds())
    data = writer.header(1, 2, 0, True, b"") + b"abc" + b"\x00\x00\x03"
    packet = RtpPacket.parse(data)
    assert (packet.payload, packet.padding_size) == (b"abc", 3)
    import time

    ours = int.from_bytes(abs_send_time(time.time()), "big")
    aiortcs = (clock.current_ntp_time() >> 14) & 0xFFFFFF
    assert abs(ours - aiortcs) < 2**18 // 100  # within 10 ms


def packets_of(frame: bytes, picture_id: int) -> list[bytes]:
    return Vp8Encoder._packetize(frame, picture_id)


def test_vp8_keyframes_found_and_picture_ids_rewritten(clip: Clip) -> None:
    keyframe, delta = clip.video_intra[1], clip.video[1]
    key_packets, delta_packets = packets_of(keyframe, 300), packets_of(delta, 301)
    descriptors = [vp8_descriptor(p) for p in key_packets + delta_packets]
    assert all(d is not None for d in descriptors)
    assert [d.keyframe for d in descriptors if d] == [True] + [False] * (len(descriptors) - 1)
    assert [d.starts_frame for d in descriptors if d].count(True) == 2
    first = descriptors[0]
    assert first is not None and vp8_picture_id(key_packets[0], first) == 300
    rewritten = with_vp8_picture_id(key_packets[0], first, 0x7FFF + 5)
    again = vp8_descriptor(rewritten)
    assert again is not None and vp8_picture_id(rewritten, again) == 4
    assert rewritten[first.length :] == key_packets[0][first.length :]
    assert vp8_descriptor(b"") is None
    assert vp8_descriptor(b"\x90") is None  # X set, extension byte missing


def test_rtx_packet_unwraps_to_the_original() -> None:
    writer = HeaderWriter(ssrc=11, payload_type=97, mid="3", ids=ExtensionIds(1, 3, 0))
    original = writer.header(4242, 90_000, 1, False, writer.extensions(b"\x00\x00\x01", None))
    original += b"payload"
    rtx = rtx_packet(original, payload_type=98, sequence=7, ssrc=22)
    parsed = RtpPacket.parse(rtx, extension_map(1, 3, 0))
    assert (parsed.payload_type, parsed.sequence_number, parsed.ssrc) == (98, 7, 22)
    assert parsed.extensions.mid == "3"
    restored = unwrap_rtx(parsed, payload_type=97, ssrc=11)
    assert (restored.sequence_number, restored.timestamp, restored.marker) == (4242, 90_000, 1)
    assert restored.payload == b"payload"
    assert packet_sequence(original) == 4242
