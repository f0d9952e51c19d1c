"""Fan-out without a network: keyframe gating, continuous numbering, NACKs, sender reports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from bench.synthetic import Clip
from signaling.media.forwarding import SlotStream
from signaling.media.publication import KEYFRAME_REQUEST_INTERVAL_S, PublishedTrack
from signaling.media.rtp_packets import ExtensionIds, vp8_descriptor, vp8_picture_id
from signaling.media.rtp_send import SendConfig
from tests.support.waiting import until

EXTENSIONS = HeaderExtensionsMap()
EXTENSIONS.configure(
    RTCRtpParameters(headerExtensions=[
        RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
        RTCRtpHeaderExtensionParameters(
            id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
        ),
    ])
)  # fmt: skip


@dataclass
class Wire:
    """What a subscriber's connection would carry (the test reads it back with aiortc)."""

    fast_send: Callable[[bytes], bool] | None = None
    sent: list[RtpPacket] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fast_send = self._send_now

    def _send_now(self, data: bytes) -> bool:
        self.sent.append(RtpPacket.parse(data, EXTENSIONS))
        return True

    async def send(self, data: bytes) -> None:
        self.sent.append(RtpPacket.parse(data, EXTENSIONS))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Publisher:
    """Packetises the clip like a browser: RTP sequence numbers, timestamps, picture IDs."""

    def __init__(self, clip: Clip, *, seq: int, ts: int, picture_id: int) -> None:
        self.clip, self.seq, self.ts, self.picture_id = clip, seq, ts, picture_id

    def frame(self, keyframe: bool = False) -> list[RtpPacket]:
        data = self.clip.video_intra[1] if keyframe else self.clip.video[1]
        payloads = Vp8Encoder._packetize(data, self.picture_id)
        self.picture_id = (self.picture_id + 1) & 0x7FFF
        packets = []
        for index, payload in enumerate(payloads):
            packets.append(
                RtpPacket(97, int(index == len(payloads) - 1), self.seq, self.ts, 1, payload)
            )
            self.seq = (self.seq + 1) & 0xFFFF
        self.ts = (self.ts + 6000) & 0xFFFFFFFF
        return packets


def config(kind: str) -> SendConfig:
    return SendConfig(
        ssrc=777, rtx_ssrc=778, payload_type=100 if kind == "video" else 111,
        rtx_payload_type=101 if kind == "video" else None,
        clock_rate=90_000 if kind == "video" else 48_000, mid="5",
        extension_ids=ExtensionIds(mid=1, abs_send_time=3),
    )  # fmt: skip


@pytest.fixture
async def video() -> AsyncIterator[tuple[PublishedTrack, list[float], Clock]]:
    requests: list[float] = []
    clock = Clock()

    async def request_pli() -> None:
        requests.append(clock.now)

    published = PublishedTrack("video", participant_id=1, request_pli=request_pli, clock=clock)
    yield published, requests, clock
    await published.close()


def connected(kind: str) -> tuple[SlotStream, Wire]:
    slot, wire = SlotStream(kind, "2:5"), Wire()
    slot.configure(config(kind), wire)
    return slot, wire


async def feed(published: PublishedTrack, packets: list[RtpPacket]) -> None:
    for packet in packets:
        published.on_rtp(packet)


async def test_video_starts_at_a_keyframe_asked_for_once_per_300_ms(
    video: tuple[PublishedTrack, list[float], Clock], clip: Clip
) -> None:
    published, requests, clock = video
    source = Publisher(clip, seq=1000, ts=5000, picture_id=10)
    slot, wire = connected("video")
    slot.assign(published)
    await until(lambda: len(requests) == 1, timeout_s=1, what="a keyframe request")
    await feed(published, source.frame() + source.frame())
    assert wire.sent == [] and slot.dropped >= 2
    clock.now += KEYFRAME_REQUEST_INTERVAL_S  # the one asked for meanwhile goes now
    await until(lambda: len(requests) == 2, timeout_s=2, what="a second request")
    keyframe, delta = source.frame(keyframe=True), source.frame()
    await feed(published, keyframe + delta)
    assert len(wire.sent) == len(keyframe) + len(delta)
    first = wire.sent[0]
    descriptor = vp8_descriptor(first.payload)
    assert descriptor is not None and descriptor.keyframe
    assert (first.ssrc, first.payload_type, first.extensions.mid) == (777, 100, "5")
    sequences = [p.sequence_number for p in wire.sent]
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))


async def test_switching_source_keeps_numbers_continuous(
    video: tuple[PublishedTrack, list[float], Clock], clip: Clip
) -> None:
    first_source, _, _ = video
    second_source = PublishedTrack("video", participant_id=3, request_pli=_no_pli)
    one = Publisher(clip, seq=65530, ts=2**32 - 7000, picture_id=0x7FFE)
    other = Publisher(clip, seq=20, ts=123, picture_id=4000)
    slot, wire = connected("video")
    slot.assign(first_source)
    await feed(first_source, one.frame(keyframe=True) + one.frame() + one.frame())
    before = list(wire.sent)
    slot.assign(second_source)
    await feed(second_source, other.frame() + other.frame(keyframe=True) + other.frame())
    after = wire.sent[len(before) :]
    sequences = [p.sequence_number for p in wire.sent]
    assert sequences == [(sequences[0] + i) & 0xFFFF for i in range(len(sequences))]
    assert 0 < (after[0].timestamp - before[-1].timestamp) % 2**32 < 90_000  # forward
    pictures = []
    for packet in wire.sent:
        descriptor = vp8_descriptor(packet.payload)
        assert descriptor is not None
        if descriptor.starts_frame:
            pictures.append(vp8_picture_id(packet.payload, descriptor))
    assert pictures == [(0x7FFE + i) & 0x7FFF for i in range(len(pictures))]
    await second_source.close()


async def test_mute_and_audio_only_leave_no_sequence_gap(clip: Clip) -> None:
    audio = PublishedTrack("audio", participant_id=1, request_pli=_no_pli)
    slot, wire = connected("audio")
    slot.assign(audio)
    for seq in range(10):
        audio.on_rtp(RtpPacket(111, 0, seq, seq * 960, 1, clip.audio[0]))
    audio.muted = True
    for seq in range(10, 20):
        audio.on_rtp(RtpPacket(111, 0, seq, seq * 960, 1, clip.audio[0]))
    audio.muted = False
    for seq in range(20, 25):
        audio.on_rtp(RtpPacket(111, 0, seq, seq * 960, 1, clip.audio[0]))
    assert [p.sequence_number for p in wire.sent] == list(range(15))
    assert [p.timestamp for p in wire.sent][9:11] == [9 * 960, 20 * 960]  # time went on
    slot.set_enabled(False)
    audio.on_rtp(RtpPacket(111, 0, 25, 25 * 960, 1, clip.audio[0]))
    assert len(wire.sent) == 15
    await audio.close()


async def test_nacks_answered_on_the_rtx_stream_at_most_every_100_ms(
    video: tuple[PublishedTrack, list[float], Clock], clip: Clip
) -> None:
    published, _, _ = video
    source = Publisher(clip, seq=100, ts=0, picture_id=1)
    slot, wire = connected("video")
    slot.assign(published)
    await feed(published, source.frame(keyframe=True) + source.frame())
    sent = list(wire.sent)
    lost = sent[1].sequence_number
    await slot.retransmit([lost, lost, 60000])  # repeated and never-sent sequence numbers
    [rtx] = wire.sent[len(sent) :]
    assert (rtx.ssrc, rtx.payload_type) == (778, 101)
    assert int.from_bytes(rtx.payload[:2], "big") == lost
    assert rtx.payload[2:] == sent[1].payload
    assert slot.retransmitted == 1


async def test_sender_report_follows_the_publishers_clock(
    video: tuple[PublishedTrack, list[float], Clock], clip: Clip
) -> None:
    published, _, _ = video
    source = Publisher(clip, seq=1, ts=90_000, picture_id=1)
    slot, _ = connected("video")
    slot.assign(published)
    assert slot.sender_info(1000.0) is None  # nothing sent yet: a receiver report instead
    await feed(published, source.frame(keyframe=True))
    published.on_sender_report(180_000, 1000.0)
    info = slot.sender_info(1001.0)
    assert info is not None
    assert info.rtp_timestamp == 180_000 + 90_000  # same source: no offset
    assert info.packet_count == slot.forwarded


async def _no_pli() -> None:
    return None
