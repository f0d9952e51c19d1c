"""The hearing timeline: RTP time anchored at arrival, re-anchored after a restart."""

from __future__ import annotations

from recording.timeline import TrackClock


def test_anchor_and_follow_rtp() -> None:
    clock = TrackClock(recording_start_s=100.0)
    assert clock.to_ms(0, 90_000, 107.0) == 7000  # joined 7 s after the recording began
    assert clock.to_ms(90_000, 90_000, 108.3) == 8000  # RTP, not arrival jitter, decides
    assert clock.to_ms(180_000, 90_000, 108.9) == 9000


def test_restart_of_rtp_reanchors_on_arrival() -> None:
    clock = TrackClock(recording_start_s=0.0)
    clock.to_ms(0, 48_000, 1.0)
    clock.to_ms(48_000 * 10, 48_000, 11.0)
    # a reconnect: new receiver, RTP starts again at 0, 30 s later
    assert clock.to_ms(0, 48_000, 41.0) == 41_000
    assert clock.to_ms(48_000, 48_000, 42.0) == 42_000


def test_times_never_go_backwards() -> None:
    clock = TrackClock(recording_start_s=0.0)
    first = clock.to_ms(1000, 90_000, 5.0)
    second = clock.to_ms(1000, 90_000, 5.0)
    assert second > first
