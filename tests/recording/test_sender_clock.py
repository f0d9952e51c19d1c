"""Placing tracks by the senders' clocks (RTCP sender reports): pure, with simulated senders.

A simulated browser has its own wall clock (``NTP_OFFSET_S`` away from the server's monotonic
clock), stamps video RTP from capture times and counts audio samples, and sends a sender
report now and then; the server sees each frame arrive after a delay of our choosing.
"""

from __future__ import annotations

from hearing_server.domain.sender_report import NTP_FRACTION, SenderReport
from recording.sender_clock import ParticipantClock, SenderMapping
from recording.timeline import TrackTimeline

NTP_OFFSET_S = 3_900_000_000.0  # the sender's clock reads this much more than ours
ORIGIN_S = 1000.0  # the recording started at server time 1000 s


def report(rtp: int, server_s: float, *, clock_step_s: float = 0.0) -> SenderReport:
    """The report a sender makes at server time ``server_s`` for RTP timestamp ``rtp``."""
    ntp = round((server_s + NTP_OFFSET_S + clock_step_s) * NTP_FRACTION)
    return SenderReport.from_ntp(rtp, ntp)


def test_report_ntp_is_seconds_since_1900() -> None:
    assert SenderReport.from_ntp(5, (3 << 32) + (1 << 31)) == SenderReport(5, 3.5)
    assert SenderReport.from_ntp((1 << 32) + 7, 0).rtp_timestamp == 7


def test_mapping_follows_the_reports_and_measures_the_rtp_rate() -> None:
    mapping = SenderMapping(48_000)
    assert not mapping.known and mapping.sender_time(0) is None
    assert not mapping.add(0, 100.0)
    assert mapping.sender_time(48_000) == 101.0
    # The sender's audio RTP runs 1.2 % slow (lost capture): measured once 4 s are covered.
    assert not mapping.add(round(5 * 48_000 * 0.988), 105.0)
    assert abs(mapping.rate - 48_000 * 0.988) < 1
    assert abs(mapping.sender_time(round(6 * 48_000 * 0.988)) - 106.0) < 0.001  # type: ignore[operator]
    assert not mapping.add(0, 104.0)  # older than the latest: ignored
    # A report 2 s off the mapping starts a new one.
    assert mapping.add(round(7 * 48_000 * 0.988), 109.0)
    assert mapping.jumps == 1 and mapping.rate == 48_000


def test_an_unbelievable_rate_is_not_taken() -> None:
    mapping = SenderMapping(90_000, jump_s=10.0)
    mapping.add(0, 0.0)
    mapping.add(90_000 * 6, 5.0)  # 20 % fast: a bad report, not a clock
    assert mapping.rate == 90_000


def test_participant_clock_is_the_least_delayed_frame_and_follows_drift() -> None:
    clock = ParticipantClock(window_s=3.0)
    assert clock.offset_s is None
    for i, delay in enumerate([0.300, 0.020, 0.150, 0.900]):
        clock.observe(10.0 + i * 0.1, 10.0 + i * 0.1 - delay - 5.0)
    assert abs(clock.offset_s - 5.020) < 1e-9  # type: ignore[operator]
    # Four seconds later the 20 ms sample has left the window.
    clock.observe(14.5, 14.5 - 0.040 - 5.0)
    assert abs(clock.offset_s - 5.040) < 1e-9  # type: ignore[operator]
    clock.reset()
    assert clock.offset_s is None


def test_a_late_first_packet_does_not_shift_the_track() -> None:
    """Issue 13: the party's video sat 1.39 s late for the whole recording because its first
    packet arrived late. The frames placed by arrival move back once the reports come."""
    clock = ParticipantClock()
    video = TrackTimeline(clock_rate=90_000, origin_s=ORIGIN_S, clock=clock)
    audio = TrackTimeline(clock_rate=48_000, origin_s=ORIGIN_S, clock=clock)
    # Captured from server time 1002.0; the first video frame is held up 1.39 s.
    first = video.place(10_000, arrival_s=1002.0 + 1.39)
    assert first.timeline_ms == 3390 and video.provisional_since_ms == 3390
    for n in range(1, 15):  # 15 fps, on time from then on, no report yet
        video.place(10_000 + n * 6000, arrival_s=1002.0 + n / 15)
    sr = report(10_000 + 15 * 6000, 1003.0)
    point = video.place(10_000 + 15 * 6000, 1003.0, sr, movable_back_ms=3390)
    assert point.timeline_ms == 3000 and point.moved_ms == -1390
    assert video.provisional_since_ms is None
    # The audio, captured at the same moments, lands at the same places.
    audio_sr = report(500, 1002.0)
    for n in range(50):
        placed = audio.place(500 + n * 960, 1002.0 + n * 0.02 + 0.003 * (n % 2), audio_sr)
        assert placed.timeline_ms == 2000 + 20 * n
    later = video.place(10_000 + 45 * 6000, 1005.0 + 0.300, sr)  # a late frame: where it was made
    assert later.timeline_ms == 5000


def test_provisional_frames_that_cannot_move_are_held_not_reordered() -> None:
    video = TrackTimeline(clock_rate=90_000, origin_s=ORIGIN_S)
    video.place(0, arrival_s=1001.5)  # 0.5 s late, and the caller cannot move it
    sr = report(6000, 1001.0 + 1 / 15)
    points = [video.place(n * 6000, 1001.0 + n / 15, sr) for n in range(1, 12)]
    assert all(p.moved_ms == 0 for p in points)
    times = [p.timeline_ms for p in points]
    assert times == sorted(times) and times[0] == 1500
    assert times[-1] == 1733  # caught up with the sender's clock: frame 11 at 1000 + 733 ms


def test_a_jump_in_the_mapping_reanchors_on_the_new_reports() -> None:
    clock = ParticipantClock()
    video = TrackTimeline(clock_rate=90_000, origin_s=ORIGIN_S, clock=clock)
    sr = report(0, 1001.0)
    assert video.place(0, 1001.0, sr).timeline_ms == 1000
    assert video.place(90_000, 1002.0, sr).timeline_ms == 2000
    # The encoder restarts: RTP jumps, the next report maps the new numbers.
    restarted = report(4_000_000_000, 1003.0)
    point = video.place(4_000_000_000, 1003.0, restarted)
    assert point.resynced and point.timeline_ms == 3000
    assert video.place(4_000_000_000 + 45_000, 1003.5, restarted).timeline_ms == 3500
    # The sender's wall clock is stepped 30 s forward: a new mapping, a new offset.
    stepped = report(4_000_000_000 + 90_000, 1004.0, clock_step_s=30.0)
    point = video.place(4_000_000_000 + 90_000, 1004.0, stepped)
    assert point.resynced and point.timeline_ms == 4000
    assert video.place(4_000_000_000 + 180_000, 1005.2, stepped).timeline_ms == 5000
    assert video.mapping.jumps == 2


def test_rtp_that_leaves_the_mapping_falls_back_to_arrival() -> None:
    video = TrackTimeline(clock_rate=90_000, origin_s=ORIGIN_S)
    sr = report(0, 1001.0)
    video.place(0, 1001.0, sr)
    # RTP jumps before any report says so: placed by arrival until one does.
    point = video.place(2_000_000_000, 1001.2, sr)
    assert point.resynced and point.timeline_ms == 1200
    assert video.provisional_since_ms == 1200
    assert video.place(2_000_000_000 + 9000, 1001.31, sr).timeline_ms == 1300


def test_a_new_publication_is_placed_by_arrival_until_its_reports() -> None:
    video = TrackTimeline(clock_rate=90_000, origin_s=ORIGIN_S)
    sr = report(0, 1001.0)
    video.place(0, 1001.0, sr)
    point = video.place(77_777, 1010.0, None)  # the participant reconnected
    assert point.resynced and point.timeline_ms == 10_000
    assert video.provisional_since_ms == 10_000


def test_audio_across_an_rtp_gap_keeps_the_lost_time() -> None:
    """The sender's RTP skips 200 ms (time lost at capture): the gap stays on the timeline."""
    audio = TrackTimeline(clock_rate=48_000, origin_s=ORIGIN_S)
    sr = report(0, 1001.0)
    placed = [audio.place(n * 960, 1001.0 + n * 0.02, sr).timeline_ms for n in range(10)]
    assert placed == [1000 + 20 * n for n in range(10)]
    after_gap = audio.place(10 * 960 + 9600, 1001.0 + 0.4 + 0.004, sr).timeline_ms
    assert after_gap == 1400


def test_audio_stays_on_the_senders_clock_across_capture_glitches() -> None:
    """A browser counts audio samples: 27 capture glitches of 12 ms lose 0.33 s of RTP time
    against its wall clock (issue 13 saw A/V walk to -337 ms). Its sender reports, every second,
    say where the RTP clock really is; placed through them the audio stays within 25 ms of the
    moment it was captured, where counting samples would be 0.3 s early."""
    clock = ParticipantClock()
    audio = TrackTimeline(clock_rate=48_000, origin_s=ORIGIN_S, clock=clock)
    video = TrackTimeline(clock_rate=90_000, origin_s=ORIGIN_S, clock=clock)
    rtp, lost_s, sr = 0, 0.0, None
    worst_s = 0.0
    for n in range(1500):  # 30 s of 20 ms packets
        captured_s = 1001.0 + n * 0.02 + lost_s
        if n % 55 == 54:
            lost_s += 0.012  # a glitch: 12 ms of wall time without samples
        if n % 50 == 0:
            sr = report(rtp, captured_s)
        placed_ms = audio.place(rtp, captured_s + 0.002, sr).timeline_ms
        if n % 50 == 0:  # the video frame captured at the same moment
            frame_rtp = round((captured_s - 1001.0) * 90_000)
            video.place(frame_rtp, captured_s + 0.030, report(frame_rtp, captured_s))
        worst_s = max(worst_s, abs(placed_ms / 1000 - (captured_s - ORIGIN_S)))
        rtp += 960
    assert lost_s > 0.3
    assert worst_s < 0.025, worst_s
