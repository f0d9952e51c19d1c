"""Recording real VP8/Opus packets: segments decode cleanly, rotate contiguously, hash right."""

from __future__ import annotations

import errno
import hashlib
import itertools
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from bench.synthetic import Clip
from recording.model import ClosedSegment, RecordingProblem, TrackKey
from recording.recorder import Recorder
from recording.segment import default_opener
from tests.recording.conftest import decode_errors, ffprobe
from tests.recording.feeding import drain, frames

pytestmark = pytest.mark.media


def _record(tmp_path: Path, clip: Clip, seconds: float, **options: object) -> tuple[
    list[ClosedSegment], list[RecordingProblem], Recorder
]:  # fmt: skip
    closed: list[ClosedSegment] = []
    problems: list[RecordingProblem] = []
    wanted: set[TrackKey] = set()
    recorder = Recorder(
        tmp_path, recording_start_s=1000.0, on_segment=closed.append,
        on_problem=problems.append, request_keyframe=wanted.add, **options,  # type: ignore[arg-type]
    )  # fmt: skip
    recorder.start()
    for frame in frames(clip, 7, seconds=seconds, start_s=1003.0, keyframe_wanted=wanted):
        assert recorder.submit(frame)
        drain(recorder)
    recorder.close(30)
    return closed, problems, recorder


def test_rotating_segments_decode_and_line_up(tmp_path: Path, clip: Clip) -> None:
    closed, problems, _recorder = _record(tmp_path, clip, 7.0, segment_seconds=2)
    assert problems == []
    for kind, codec in (("video", "vp8"), ("audio", "opus")):
        segments = sorted((s for s in closed if s.track.kind == kind), key=lambda s: s.seq)
        assert len(segments) >= 3, kind
        assert segments[0].start_ms == 3000  # joined 3 s after the recording began
        for earlier, later in itertools.pairwise(segments):
            assert abs(later.start_ms - earlier.end_ms) <= 120, (earlier, later)
        assert abs(segments[-1].end_ms - 10_000) <= 150
        for segment in segments:
            assert segment.path.exists()
            assert not segment.path.name.endswith(".partial.mkv")
            assert hashlib.sha256(segment.path.read_bytes()).hexdigest() == segment.sha256
            assert segment.size_bytes == segment.path.stat().st_size
            info = ffprobe(segment.path)
            assert info["streams"][0]["codec_name"] == codec
            duration_ms = float(info["format"]["duration"]) * 1000
            assert abs(duration_ms - (segment.end_ms - segment.start_ms)) <= 150
            assert decode_errors(segment.path) == ""
    assert not list(tmp_path.glob("*.partial.mkv"))


def test_pause_closes_segments_and_resume_opens_new_ones(tmp_path: Path, clip: Clip) -> None:
    closed: list[ClosedSegment] = []
    wanted: set[TrackKey] = set()
    recorder = Recorder(tmp_path, recording_start_s=0.0, on_segment=closed.append,
                        on_problem=lambda _p: None, request_keyframe=wanted.add)  # fmt: skip
    recorder.start()
    stream = frames(clip, 3, seconds=6.0, start_s=0.0, keyframe_wanted=wanted)
    for frame in stream:
        recorder.submit(frame)
        drain(recorder)
        if frame.arrival_s >= 2.0:
            break
    recorder.pause("recess")
    for frame in stream:
        recorder.submit(frame)
        if frame.arrival_s >= 4.0:
            break
    recorder.resume()
    for frame in stream:
        recorder.submit(frame)
        drain(recorder)
    recorder.close(30)
    video = sorted((s for s in closed if s.track.kind == "video"), key=lambda s: s.seq)
    assert len(video) == 2
    assert video[0].end_ms <= 2200
    assert video[1].start_ms >= 4000  # the gap of the recess is not recorded
    for segment in video:
        assert decode_errors(segment.path) == ""


class FullDisk:
    """A file that fails with ENOSPC once the disk's budget is spent (fault injection)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.lock = threading.Lock()

    def open(self, path: Path) -> IO[bytes]:
        disk = self
        handle = default_opener(path)
        original_write = handle.write

        def write(data: bytes) -> int:  # type: ignore[override]
            with disk.lock:
                if disk.budget < len(data):
                    raise OSError(errno.ENOSPC, "No space left on device")
                disk.budget -= len(data)
            return original_write(data)

        handle.write = write  # type: ignore[method-assign]
        return handle


def test_disk_full_is_reported_fast_and_earlier_segments_stay(tmp_path: Path, clip: Clip) -> None:
    disk = FullDisk(budget=400_000)
    closed: list[ClosedSegment] = []
    problems: list[tuple[float, RecordingProblem]] = []
    wanted: set[TrackKey] = set()
    recorder = Recorder(
        tmp_path, recording_start_s=0.0, segment_seconds=1, on_segment=closed.append,
        on_problem=lambda p: problems.append((time.monotonic(), p)),
        request_keyframe=wanted.add, opener=disk.open,
    )  # fmt: skip
    recorder.start()
    hashes: dict[Path, str] = {}
    started = time.monotonic()
    for frame in frames(clip, 5, seconds=8.0, start_s=0.0, keyframe_wanted=wanted):
        assert recorder.submit(frame) in (True, False)  # never raises
        drain(recorder)
        for segment in closed:
            hashes.setdefault(segment.path, segment.sha256)
    recorder.close(30)
    failures = [(at, p) for at, p in problems if p.kind == "write_failed"]
    assert failures, problems
    assert failures[0][0] - started < 5.0
    assert "No space left on device" in failures[0][1].message
    assert closed, "segments closed before the disk filled"
    for segment in closed:
        assert hashlib.sha256(segment.path.read_bytes()).hexdigest() == segment.sha256
        assert decode_errors(segment.path) == ""


def test_a_lagging_writer_drops_and_reports_overflow(tmp_path: Path, clip: Clip) -> None:
    gate = threading.Event()

    def slow_open(path: Path) -> IO[bytes]:
        gate.wait(10)
        return default_opener(path)

    problems: list[RecordingProblem] = []
    wanted: set[TrackKey] = set()
    recorder = Recorder(tmp_path, recording_start_s=0.0, on_segment=lambda _s: None,
                        on_problem=problems.append, queue_frames=10, opener=slow_open,
                        request_keyframe=wanted.add)  # fmt: skip
    recorder.start()
    accepted = [
        recorder.submit(f)
        for f in frames(clip, 1, seconds=2.0, start_s=0.0, keyframe_wanted=wanted)
    ]
    gate.set()
    recorder.close(30)
    assert accepted.count(False) > 0
    assert [p.kind for p in problems].count("overflow") >= 1
