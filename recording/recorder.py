"""The recorder: its own thread behind a bounded queue, segments per track, rotation, faults.

``submit`` never blocks and never raises into the media path. A full queue drops the frame and
reports an ``overflow``; a failing disk reports ``write_failed`` (within the next frame or
second), drops that track's frames, and retries a new segment every ``retry_s``. Segments
already closed are never touched again. Callbacks run on the writer thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from recording.model import ClosedSegment, EncodedFrame, RecordingProblem, TrackKey
from recording.segment import Opener, SegmentFile, default_opener
from recording.timeline import TrackClock

log = logging.getLogger(__name__)
FRAME_MS = {"video": 67, "audio": 20}
_STOP = object()


@dataclass
class _Track:
    key: TrackKey
    clock: TrackClock
    segment: SegmentFile | None = None
    next_seq: int = 1
    rotate_pending: bool = False
    failed_until: float = 0.0
    failed: bool = False
    dropped: int = 0


@dataclass
class _Pause:
    reason: str


@dataclass
class _Resume:
    pass


@dataclass
class RecorderStats:
    frames_written: int = 0
    frames_dropped: int = 0
    segments_closed: int = 0
    problems: list[str] = field(default_factory=list)


class Recorder:
    def __init__(
        self,
        directory: Path,
        *,
        recording_start_s: float,
        segment_seconds: float = 60,
        on_segment: Callable[[ClosedSegment], None],
        on_problem: Callable[[RecordingProblem], None],
        request_keyframe: Callable[[TrackKey], None] | None = None,
        queue_frames: int = 4000,
        fsync_interval_s: float = 1.0,
        retry_s: float = 2.0,
        opener: Opener = default_opener,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.recording_start_s = recording_start_s
        self.segment_ms = int(segment_seconds * 1000)
        self.on_segment = on_segment
        self.on_problem = on_problem
        self.request_keyframe = request_keyframe or (lambda _key: None)
        self.fsync_interval_s = fsync_interval_s
        self.retry_s = retry_s
        self.opener = opener
        self.monotonic = monotonic
        self.stats = RecorderStats()
        self.paused: str | None = None
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_frames)
        self._tracks: dict[TrackKey, _Track] = {}
        self._overflowing = False
        self._last_sync = 0.0
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)

    # --- called from the event loop ------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, frame: EncodedFrame) -> bool:
        try:
            self._queue.put_nowait(frame)
        except queue.Full:
            self.stats.frames_dropped += 1
            if not self._overflowing:
                self._overflowing = True
                self._report("overflow", frame.track, "the recorder is falling behind; "
                             "frames are being dropped", frame.arrival_s)  # fmt: skip
            return False
        self._overflowing = False
        return True

    def pause(self, reason: str) -> None:
        self._queue.put(_Pause(reason))

    def resume(self) -> None:
        self._queue.put(_Resume())

    def close(self, timeout_s: float = 10) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout_s)

    # --- the writer thread ----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=0.25)
            except queue.Empty:
                self._maybe_sync()
                continue
            if item is _STOP:
                self._close_all()
                return
            try:
                if isinstance(item, EncodedFrame):
                    self._write(item)
                elif isinstance(item, _Pause):
                    self.paused = item.reason
                    self._close_all()
                elif isinstance(item, _Resume):
                    self.paused = None
            except Exception:
                log.exception("recorder: unexpected failure")
            self._maybe_sync()

    def _track(self, key: TrackKey) -> _Track:
        track = self._tracks.get(key)
        if track is None:
            track = _Track(key, TrackClock(self.recording_start_s))
            self._tracks[key] = track
        return track

    def _write(self, frame: EncodedFrame) -> None:
        track = self._track(frame.track)
        timeline_ms = track.clock.to_ms(frame.pts, frame.clock_rate, frame.arrival_s)
        if self.paused is not None:
            return
        now = self.monotonic()
        if track.failed and now < track.failed_until:
            track.dropped += 1
            self.stats.frames_dropped += 1
            return
        video = frame.track.kind == "video"
        segment = track.segment
        if segment is not None and timeline_ms - segment.start_ms >= self.segment_ms:
            if not video or frame.keyframe:
                self._close(track)
                segment = None
            elif not track.rotate_pending:
                track.rotate_pending = True
                self.request_keyframe(track.key)
        if segment is None:
            if video and not frame.keyframe:
                track.dropped += 1
                self.request_keyframe(track.key)
                return
            try:
                segment = SegmentFile(self.directory, track.key, track.next_seq, timeline_ms,
                                      first_frame=frame.data, opener=self.opener)  # fmt: skip
            except OSError as exc:
                self._fail(track, exc, frame)
                return
            track.segment = segment
            track.next_seq += 1
            track.rotate_pending = False
            if track.failed:
                track.failed = False
                self._report("resumed", track.key, "recording resumed", frame.arrival_s)
        try:
            segment.write(frame.data, timeline_ms, frame.keyframe)
            self.stats.frames_written += 1
        except OSError as exc:
            segment.abandon()
            track.segment = None
            self._fail(track, exc, frame)

    def _fail(self, track: _Track, error: OSError, frame: EncodedFrame) -> None:
        track.failed = True
        track.failed_until = self.monotonic() + self.retry_s
        self.stats.frames_dropped += 1
        reason = error.strerror or str(error)
        self._report("write_failed", track.key, f"cannot write the recording: {reason}",
                     frame.arrival_s)  # fmt: skip

    def _report(self, kind: str, key: TrackKey | None, message: str, arrival_s: float) -> None:
        at_ms = round((arrival_s - self.recording_start_s) * 1000)
        self.stats.problems.append(f"{kind}: {message}")
        try:
            self.on_problem(RecordingProblem(kind, key, message, at_ms))
        except Exception:
            log.exception("recorder: problem callback failed")

    def _close(self, track: _Track) -> None:
        segment = track.segment
        track.segment = None
        if segment is None:
            return
        try:
            closed = segment.close(FRAME_MS[track.key.kind])
        except OSError as exc:
            segment.abandon()
            self._report("write_failed", track.key, f"cannot close a segment: {exc}",
                         self.monotonic())  # fmt: skip
            return
        self.stats.segments_closed += 1
        try:
            self.on_segment(closed)
        except Exception:
            log.exception("recorder: segment callback failed")

    def _close_all(self) -> None:
        for track in self._tracks.values():
            self._close(track)

    def _maybe_sync(self) -> None:
        now = self.monotonic()
        if now - self._last_sync < self.fsync_interval_s:
            return
        self._last_sync = now
        for track in self._tracks.values():
            if track.segment is None:
                continue
            try:
                track.segment.sync()
            except OSError as exc:
                track.segment.abandon()
                track.segment = None
                track.failed = True
                track.failed_until = now + self.retry_s
                self._report("write_failed", track.key, f"cannot sync the recording: {exc}",
                             now)  # fmt: skip
