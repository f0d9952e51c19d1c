"""The hearing timeline and the segment policy: pure, with a fake arrival clock."""

from __future__ import annotations

import pytest

from recording.codec_facts import opus_duration_ms, vp8_keyframe_size
from recording.segment_policy import Decision, SegmentPolicy, Step
from recording.timeline import RtpUnwrapper, TrackTimeline

VIDEO_TICKS_PER_FRAME = 6000  # 90 kHz at 15 fps


def test_a_track_is_anchored_at_its_first_arrival_and_follows_rtp() -> None:
    timeline = TrackTimeline(clock_rate=90_000, origin_s=100.0)
    assert timeline.place(123_456, arrival_s=107.0).timeline_ms == 7000
    # Jittery arrivals do not move the frames: RTP spacing wins.
    assert timeline.place(123_456 + 90_000, arrival_s=108.25).timeline_ms == 8000
    assert timeline.place(123_456 + 180_000, arrival_s=108.95).timeline_ms == 9000


def test_rtp_wrap_is_continuous() -> None:
    timeline = TrackTimeline(clock_rate=48_000, origin_s=0.0)
    start = (1 << 32) - 960 * 2
    positions = [
        timeline.place((start + i * 960) % (1 << 32), arrival_s=1.0 + i * 0.02).timeline_ms
        for i in range(6)
    ]
    assert positions == [1000, 1020, 1040, 1060, 1080, 1100]
    unwrapper = RtpUnwrapper()
    assert [unwrapper.unwrap(t) for t in ((1 << 32) - 1, 0, 5, (1 << 32) - 3)] == [
        (1 << 32) - 1,
        1 << 32,
        (1 << 32) + 5,
        (1 << 32) - 3,
    ]


def test_an_rtp_jump_is_resynced_on_arrival_time() -> None:
    timeline = TrackTimeline(clock_rate=90_000, origin_s=0.0)
    timeline.place(1000, arrival_s=2.0)
    timeline.place(1000 + VIDEO_TICKS_PER_FRAME, arrival_s=2.067)
    # The sender restarts its encoder: RTP jumps by ~6 hours.
    point = timeline.place(2_000_000_000, arrival_s=2.133)
    assert point.resynced and point.timeline_ms == 2133
    assert timeline.place(2_000_000_000 + 90_000, arrival_s=3.2).timeline_ms == 3133
    assert timeline.resync_count == 1


def test_small_jitter_does_not_resync_but_a_long_stall_does() -> None:
    timeline = TrackTimeline(clock_rate=90_000, origin_s=0.0, resync_threshold_ms=5000)
    timeline.place(0, arrival_s=0.0)
    assert not timeline.place(90_000, arrival_s=4.9).resynced  # 3.9 s late: still RTP
    point = timeline.place(180_000, arrival_s=8.0)  # 6 s behind arrival
    assert point.resynced and point.timeline_ms == 8000


def test_timeline_never_goes_backwards() -> None:
    timeline = TrackTimeline(clock_rate=90_000, origin_s=0.0)
    assert timeline.place(900_000, arrival_s=10.0).timeline_ms == 10_000
    assert timeline.place(900_000 - 9000, arrival_s=10.05).timeline_ms == 10_000  # reordered
    # A jump back by more than the tolerance re-anchors without going back in time.
    point = timeline.place(900_000 - 450_000, arrival_s=10.1)
    assert point.resynced and point.timeline_ms == 10_100


def test_audio_rotates_on_time() -> None:
    policy = SegmentPolicy(is_video=False, segment_ms=1000, keyframe_wait_ms=500)
    steps = [policy.decide(ms, keyframe=True).step for ms in (0, 500, 980, 1000, 1500, 2000)]
    assert steps == [Step.OPEN, Step.WRITE, Step.WRITE, Step.ROTATE, Step.WRITE, Step.ROTATE]


def test_video_waits_for_a_keyframe_then_gives_up() -> None:
    policy = SegmentPolicy(is_video=True, segment_ms=1000, keyframe_wait_ms=400)
    assert policy.decide(0, keyframe=False) == Decision(Step.DROP, request_keyframe=True)
    assert policy.decide(20, keyframe=False) == Decision(Step.DROP)  # requests rate-limited
    assert policy.decide(50, keyframe=True).step is Step.OPEN
    late = policy.decide(1100, keyframe=False)
    assert late.step is Step.WRITE and late.request_keyframe
    assert policy.decide(1200, keyframe=True).step is Step.ROTATE
    assert policy.decide(2250, keyframe=False).step is Step.WRITE
    gave_up = policy.decide(2600, keyframe=False)
    assert gave_up.step is Step.CLOSE_AND_DROP
    assert policy.decide(2700, keyframe=False).step is Step.DROP
    assert policy.decide(2800, keyframe=True).step is Step.OPEN


def test_a_new_picture_size_starts_a_new_segment() -> None:
    policy = SegmentPolicy(is_video=True, segment_ms=60_000, keyframe_wait_ms=5000)
    assert policy.decide(0, keyframe=True).step is Step.OPEN
    assert policy.decide(500, keyframe=True, new_format=True).step is Step.ROTATE


@pytest.mark.parametrize(
    ("packet", "expected_ms"),
    [
        (bytes([0xFC, 1, 2]), 20),
        (bytes([0x18]), 60),
        (bytes([0x7B]), 20),
        (bytes([0xFB, 0x03]), 60),
        (b"", 20),
    ],
)
def test_opus_durations(packet: bytes, expected_ms: int) -> None:
    assert opus_duration_ms(packet) == expected_ms


def test_vp8_keyframe_size() -> None:
    header = bytes([0x10, 0x37, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01])
    assert vp8_keyframe_size(header) == (640, 360)
    assert vp8_keyframe_size(bytes([0x11]) + header[1:]) is None
