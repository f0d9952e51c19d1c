"""A failing disk: reported within 5 s, the hearing goes on, closed segments stay whole."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recording import GapReason, KeyframeRequested, RecorderFailed, TrackKind
from tests.recording.conftest import Outputs, decode_errors, make_recorder
from tests.recording.media import Clip, play
from tests.support.disk_faults import FailingDisk

pytestmark = pytest.mark.media


class FakeClock:
    """The recorder's clock follows the fed media, so retries come due without waiting."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


@contextlib.contextmanager
def small_tmpfs(directory: Path, size: str) -> Iterator[Path]:
    directory.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(directory)],
        capture_output=True, timeout=10, check=False,
    ).returncode == 0  # fmt: skip
    if not mounted:
        pytest.skip("cannot mount a tmpfs here (not root?); the fault-injection test covers this")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], timeout=10, check=False)


def snapshot(outputs: Outputs) -> dict[Path, str]:
    return {s.path: s.sha256 for s in outputs.segments}


def assert_intact(closed: dict[Path, str]) -> None:
    for path, sha256 in closed.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
        assert decode_errors(path) == ""


def test_disk_full_on_a_real_tmpfs(tmp_path: Path, clip: Clip) -> None:
    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        filler = disk / "filler"
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        filler.write_bytes(b"\0" * (free - 160_000))  # leave room for a few segments
        outputs, clock = Outputs(), FakeClock()
        recorder = make_recorder(
            disk / "h-1", outputs, clock=clock, segment_s=1.0, retry_interval_s=0.5
        )
        recorder.start()
        frames = play(clip, "p1", seconds=60.0, start_s=0.0)
        for frame in frames:
            clock.now_s = frame.arrival_s
            recorder.submit(frame)  # never raises
            if outputs.failed.is_set():
                break
        fed_all_at = time.monotonic()
        assert outputs.failed.wait(timeout=5), "no failure reported"
        assert time.monotonic() - fed_all_at < 5
        failure = next(e for e in outputs.events if isinstance(e, RecorderFailed))
        assert failure.errno == errno.ENOSPC
        closed = snapshot(outputs)
        assert len(closed) >= 2
        assert_intact(closed)

        filler.unlink()  # space comes back: recording resumes on its own
        for frame in play(clip, "p1", seconds=4.0, start_s=clock.now_s + 1.0):
            clock.now_s = frame.arrival_s
            recorder.submit(frame)
        assert outputs.resumed.wait(timeout=5), "recording did not resume"
        assert recorder.close(timeout_s=30)
        assert_intact(closed)
        gaps = [g for g in outputs.gaps() if g.reason is GapReason.DISK_FAILURE]
        assert {g.track_id for g in gaps} == {"p1-cam", "p1-mic"}
        later = [s for s in outputs.segments if s.path not in closed and not s.recovered]
        assert later, "no segment after the disk came back"
        for segment in outputs.segments:
            assert decode_errors(segment.path) == "", segment


def test_io_errors_by_fault_injection(tmp_path: Path, clip: Clip) -> None:
    disk = FailingDisk(budget=60_000, err=errno.EIO)
    outputs, clock = Outputs(), FakeClock()
    recorder = make_recorder(
        tmp_path, outputs, opener=disk.open, clock=clock, segment_s=1.0, retry_interval_s=0.5
    )
    recorder.start()
    frames = play(clip, "p2", seconds=60.0, start_s=0.0)
    for frame in frames:
        clock.now_s = frame.arrival_s
        assert recorder.submit(frame) in (True, False)
        if outputs.failed.is_set():
            break
    assert outputs.failed.wait(timeout=5)
    failure = next(e for e in outputs.events if isinstance(e, RecorderFailed))
    assert failure.errno == errno.EIO
    closed = snapshot(outputs)
    assert closed
    with disk.lock:
        disk.budget = 10**9
    for frame in play(clip, "p2", seconds=4.0, start_s=clock.now_s + 1.0):
        clock.now_s = frame.arrival_s
        recorder.submit(frame)
    assert outputs.resumed.wait(timeout=5)
    assert recorder.close(timeout_s=30)
    assert_intact(closed)
    # The file that failed mid-write was salvaged (or, with no media in it, quarantined).
    assert not list(tmp_path.glob("*.partial"))
    assert any(s.recovered for s in outputs.segments) or list(tmp_path.glob("quarantine/*"))
    for segment in outputs.segments:
        assert decode_errors(segment.path) == ""


class SteppingClock:
    """Each reading is 50 ms after the last: a retry comes due after a known number of frames,
    whatever the writer thread's pace."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        self.now_s += 0.05
        return self.now_s


def test_video_asks_for_a_keyframe_when_the_disk_retry_is_due(tmp_path: Path, clip: Clip) -> None:
    """After a disk failure a video track can only start again on a keyframe, and browsers
    send none unprompted: when the retry comes due the recorder asks for one (once), without
    waiting for another track to write first (here there is none)."""
    disk = FailingDisk(budget=0, err=errno.EIO)
    outputs = Outputs()
    recorder = make_recorder(
        tmp_path, outputs, opener=disk.open, clock=SteppingClock(), retry_interval_s=0.5
    )
    recorder.start()
    video = [f for f in play(clip, "p4", seconds=4.0, start_s=0.0) if f.kind is TrackKind.VIDEO]
    assert video[0].keyframe and video[45].keyframe
    recorder.submit(video[0])  # the disk fails on the first frame
    assert outputs.failed.wait(timeout=5)
    with disk.lock:
        disk.budget = 10**9  # the disk is back, but the next frames need an earlier one
    for frame in video[1:45]:
        if not frame.keyframe:
            recorder.submit(frame)  # 42 frames: the retry (10 readings) comes due meanwhile
    for frame in video[45:]:  # then a keyframe, and what follows it
        recorder.submit(frame)
    assert outputs.resumed.wait(timeout=5), "recording did not resume"
    assert recorder.close(timeout_s=30)
    kinds = [type(e).__name__ for e in outputs.events]
    failed, resumed = kinds.index("RecorderFailed"), kinds.index("RecorderResumed")
    asked = [e for e in outputs.events[failed:resumed] if isinstance(e, KeyframeRequested)]
    assert [(e.participant_id, e.track_id) for e in asked] == [("p4", "p4-cam")]
