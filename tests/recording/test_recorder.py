"""The recorder end to end on real VP8/Opus packets, checked with ffprobe/ffmpeg."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import threading
from pathlib import Path

import pytest

from hearing_server.domain.sender_report import SenderReport
from recording import GapReason, KeyframeRequested, TrackKind
from recording.segment_writer import RawSink, open_exclusive
from tests.recording.conftest import (
    Outputs,
    decode_errors,
    ffprobe,
    make_recorder,
    probe_duration_s,
)
from tests.recording.media import Clip, play

pytestmark = pytest.mark.media


def test_rotating_segments_decode_and_tile_the_timeline(tmp_path: Path, clip: Clip) -> None:
    outputs = Outputs()
    recorder = make_recorder(tmp_path, outputs, segment_s=2.0)
    recorder.start()
    # The participant joins 1.5 s after the recording started; 6 s of media.
    for frame in play(clip, "p7", seconds=6.0, start_s=1.5):
        assert recorder.submit(frame)
    assert recorder.close(timeout_s=30)

    for track_id, kind, codec in (("p7-cam", "video", "vp8"), ("p7-mic", "audio", "opus")):
        segments = outputs.of_track(track_id)
        assert len(segments) >= 3, segments
        assert segments[0].timeline_start_ms == 1500
        for earlier, later in itertools.pairwise(segments):
            assert earlier.timeline_end_ms == later.timeline_start_ms  # contiguous
        assert segments[-1].timeline_end_ms == pytest.approx(7500, abs=80)
        for segment in segments:
            assert segment.path.exists() and not segment.recovered
            assert segment.path.name == f"p7-{kind}-{segment.seq:05d}.mkv"
            assert segment.sha256 == hashlib.sha256(segment.path.read_bytes()).hexdigest()
            assert segment.size_bytes == segment.path.stat().st_size
            assert decode_errors(segment.path) == ""
            stream = ffprobe(segment.path)["streams"][0]
            assert stream["codec_name"] == codec
            if kind == "video":
                assert (stream["width"], stream["height"]) == (640, 360)
            assert probe_duration_s(segment.path) * 1000 == pytest.approx(
                segment.duration_ms, abs=80
            )
            sidecar = json.loads(segment.path.with_name(segment.path.name + ".json").read_text())
            assert sidecar["sha256"] == segment.sha256
            assert sidecar["timeline_start_ms"] == segment.timeline_start_ms
    assert not list(tmp_path.glob("*.partial"))
    assert not list(tmp_path.glob("*.open.json"))
    assert outputs.gaps() == []


def test_video_rotates_on_a_keyframe_and_asks_for_one(tmp_path: Path, clip: Clip) -> None:
    outputs = Outputs()
    # 1.5 s segments: the rotation point falls between the clip's 1 s keyframes.
    recorder = make_recorder(tmp_path, outputs, segment_s=1.5)
    recorder.start()
    for frame in play(clip, "p1", seconds=4.0, start_s=0.0):
        recorder.submit(frame)
    assert recorder.close(timeout_s=30)
    video = outputs.of_track("p1-cam")
    assert [s.timeline_start_ms for s in video] == [0, 2000]
    assert any(isinstance(e, KeyframeRequested) for e in outputs.events)
    audio = outputs.of_track("p1-mic")
    assert [s.timeline_start_ms for s in audio] == [0, 1500, 3000]
    for segment in video + audio:
        assert decode_errors(segment.path) == ""


def test_pause_closes_segments_and_records_the_gap(tmp_path: Path, clip: Clip) -> None:
    outputs = Outputs()
    recorder = make_recorder(tmp_path, outputs, segment_s=60.0)
    recorder.start()
    for frame in play(clip, "p2", seconds=6.0, start_s=0.0):
        if 2.0 <= frame.arrival_s < 4.0 and not recorder.paused:
            recorder.pause("recess")
        if frame.arrival_s >= 4.0 and recorder.paused:
            recorder.resume()
        recorder.submit(frame)
    assert recorder.close(timeout_s=30)
    for track_id in ("p2-cam", "p2-mic"):
        segments = outputs.of_track(track_id)
        assert len(segments) == 2
        assert segments[0].timeline_end_ms == pytest.approx(2000, abs=70)
        assert segments[1].timeline_start_ms == pytest.approx(4000, abs=70)
        (gap,) = [g for g in outputs.gaps() if g.track_id == track_id]
        assert gap.reason is GapReason.PAUSED and gap.detail == "recess"
        assert (gap.start_ms, gap.end_ms) == (
            segments[0].timeline_end_ms,
            segments[1].timeline_start_ms,
        )
        for segment in segments:
            assert decode_errors(segment.path) == ""


def test_a_full_queue_drops_frames_and_records_a_gap(tmp_path: Path, clip: Clip) -> None:
    outputs = Outputs()
    disk_stalled = threading.Event()

    def slow_disk(path: Path) -> RawSink:
        disk_stalled.wait(timeout=20)  # the writer hangs on its first file: the inbox fills
        return open_exclusive(path)

    recorder = make_recorder(tmp_path, outputs, queue_frames=5, opener=slow_disk)
    recorder.start()
    frames = list(play(clip, "p3", seconds=4.0, start_s=0.0))
    accepted = [recorder.submit(frame) for frame in frames[:40]]  # never raises, never blocks
    disk_stalled.set()
    for frame in frames[40:]:
        recorder.submit(frame)
    assert recorder.close(timeout_s=30)
    assert 5 <= sum(accepted) <= 6 and not any(accepted[6:])
    assert recorder.stats.frames_dropped_queue >= 34
    gaps = outputs.gaps()
    assert gaps and {g.reason for g in gaps} == {GapReason.QUEUE_FULL}
    for gap in gaps:
        assert gap.end_ms > gap.start_ms
    for segment in outputs.segments:
        assert decode_errors(segment.path) == ""


def test_a_late_first_packet_is_corrected_by_the_senders_reports(
    tmp_path: Path, clip: Clip
) -> None:
    """Issue 13 point 2: a participant joins 1.5 s into the recording and its video's first
    packets are held up 1.2 s (a loaded server). From their sender reports (the first after
    1 s) both tracks start at 1500 ms, the video file moved back as a whole."""
    outputs = Outputs()
    recorder = make_recorder(tmp_path, outputs, segment_s=60.0)
    recorder.start()
    ntp_offset_s = 3_900_000_000.0
    for frame in play(clip, "p3", seconds=4.0, start_s=1.5):
        media_s = frame.arrival_s - 1.5
        is_video = frame.kind is TrackKind.VIDEO
        rate = frame.clock_rate
        report = None
        if media_s >= 1.0:  # a report each second, for the RTP timestamp of that second
            second = math.floor(media_s)
            report = SenderReport(
                (frame.rtp_timestamp - round((media_s - second) * rate)) % (1 << 32),
                1.5 + second + ntp_offset_s,
            )
        arrival = max(frame.arrival_s, 1.5 + 1.2) if is_video else frame.arrival_s
        assert recorder.submit(dataclasses.replace(frame, arrival_s=arrival, sender_report=report))
    assert recorder.close(timeout_s=30)
    for track_id in ("p3-cam", "p3-mic"):
        (segment,) = outputs.of_track(track_id)
        assert segment.timeline_start_ms == pytest.approx(1500, abs=2), segment
        assert segment.timeline_end_ms == pytest.approx(5500, abs=80), segment
        sidecar = json.loads(segment.path.with_name(segment.path.name + ".json").read_text())
        assert sidecar["timeline_start_ms"] == segment.timeline_start_ms
        assert decode_errors(segment.path) == ""
        assert probe_duration_s(segment.path) == pytest.approx(4.0, abs=0.1)
