"""The writer thread's work (``HearingRecorder`` hands it each item from the inbox): every
track's timeline and segment policy, its open segment and open gap, and what a disk failure
does (gaps on every track, a retry after ``retry_interval_s``, salvage of abandoned files).

Only the writer thread calls into ``TrackWriters``; its callbacks run on that thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recording import layout
from recording.codec_facts import opus_duration_ms, vp8_keyframe_size
from recording.exceptions import DiskFailure, MuxFailure, RecordingError
from recording.layout import OpenSegmentInfo
from recording.recorder_config import RecorderConfig, RecorderStats
from recording.records import (
    ClosedSegment,
    EncodedFrame,
    GapReason,
    GapRecorded,
    KeyframeRequested,
    RecorderEvent,
    RecorderFailed,
    RecorderResumed,
    RecordingGap,
    TrackKind,
)
from recording.recovery import salvage
from recording.segment_policy import SegmentPolicy, Step
from recording.segment_writer import FileOpener, SegmentWriter, open_exclusive
from recording.sender_clock import ParticipantClock
from recording.timeline import TrackTimeline

logger = logging.getLogger(__name__)

__all__ = ["EventCallback", "RecorderConfig", "RecorderStats", "SegmentCallback", "TrackWriters"]

SegmentCallback = Callable[[ClosedSegment], None]
EventCallback = Callable[[RecorderEvent], None]


@dataclass(slots=True)
class _OpenGap:
    start_ms: int
    reason: GapReason
    detail: str


@dataclass(slots=True)
class _Track:
    participant_id: str
    track_id: str
    kind: TrackKind
    codec: str
    timeline: TrackTimeline
    policy: SegmentPolicy
    writer: SegmentWriter | None = None
    last_end_ms: int | None = None
    last_frame_ms: int | None = None
    frame_interval_ms: int = 66
    picture_size: tuple[int, int] | None = None
    gap: _OpenGap | None = None
    closed_end_ms: int = 0  # where the track's last closed segment ends
    keyframe_asked_for_retry: float | None = None  # the disk retry a keyframe was asked for


class TrackWriters:
    def __init__(
        self,
        config: RecorderConfig,
        stats: RecorderStats,
        *,
        on_segment: SegmentCallback,
        on_event: EventCallback,
        opener: FileOpener = open_exclusive,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.stats = stats
        self._on_segment = on_segment
        self._on_event = on_event
        self._opener = opener
        self._clock = clock
        self._tracks: dict[str, _Track] = {}
        self._clocks: dict[str, ParticipantClock] = {}  # per participant: its sender's clock
        self._rejected_tracks: set[str] = set()
        self._next_seq: dict[tuple[str, TrackKind], int] = {}
        self._failed_at_ms: int | None = None
        self._next_retry_s = 0.0
        self._next_sync_s = 0.0

    def on_frame(self, frame: EncodedFrame, dropped_before: int) -> None:
        track = self._track_for(frame)
        if track is None:
            return
        point = track.timeline.place(
            frame.rtp_timestamp, frame.arrival_s, frame.sender_report,
            movable_back_ms=self._movable_back_ms(track),
        )  # fmt: skip
        if point.moved_ms:
            self._move(track, point.moved_ms)
        timeline_ms = point.timeline_ms
        duration_ms = self._duration_ms(track, frame, timeline_ms)
        if dropped_before:
            self._open_gap(track, GapReason.QUEUE_FULL, f"{dropped_before} frames", timeline_ms)
            if track.kind is TrackKind.VIDEO:
                # The lost frames were references: nothing decodes until the next keyframe.
                self._close_segment(track)
        if self._failed_at_ms is not None:
            retry_due = self._clock() >= self._next_retry_s
            if not retry_due or (track.kind is TrackKind.VIDEO and not frame.keyframe):
                if retry_due:
                    self._ask_keyframe_for_retry(track)
                self._open_gap(track, GapReason.DISK_FAILURE, "", timeline_ms)
                return
        size = vp8_keyframe_size(frame.data) if frame.keyframe else None
        new_format = size is not None and track.picture_size not in (None, size)
        decision = track.policy.decide(timeline_ms, frame.keyframe, new_format=new_format)
        if decision.request_keyframe:
            self._emit(
                KeyframeRequested(self.config.hearing_id, track.participant_id, track.track_id)
            )
        if size is not None:
            track.picture_size = size
        step = decision.step
        if step in (Step.ROTATE, Step.CLOSE_AND_DROP):
            self._finish_segment(track, end_ms=timeline_ms)
            if self._failed_at_ms is not None:  # closing it hit a disk failure
                self._open_gap(track, GapReason.DISK_FAILURE, "", timeline_ms)
                return
        if step in (Step.DROP, Step.CLOSE_AND_DROP):
            self._open_gap(track, GapReason.AWAITING_KEYFRAME, "", timeline_ms)
            return
        try:
            if step in (Step.OPEN, Step.ROTATE):
                track.writer = self._open_segment(track, frame, timeline_ms)
            assert track.writer is not None
            track.writer.write(frame.data, timeline_ms, frame.keyframe, duration_ms)
        except DiskFailure as failure:
            self._disk_failed(failure, timeline_ms)
            return
        except MuxFailure as failure:
            logger.error(
                "recording: hearing %s track %s: %s",
                self.config.hearing_id, track.track_id, failure.message,
            )  # fmt: skip
            self._close_segment(track)
            return
        self._written(track, timeline_ms, duration_ms)

    @staticmethod
    def _movable_back_ms(track: _Track) -> int | None:
        """How far back the frames placed by arrival may move once the sender's clock is
        known: only if they are all in the open segment, and not over the track's last one."""
        since, writer = track.timeline.provisional_since_ms, track.writer
        if since is None or writer is None or writer.info.timeline_start_ms < since:
            return None
        return max(0, writer.info.timeline_start_ms - track.closed_end_ms)

    def _move(self, track: _Track, moved_ms: int) -> None:
        """The open segment and what was written into it move on the timeline."""
        writer = track.writer
        assert writer is not None  # frames move only when they are all in the open segment
        try:
            writer.move_start(writer.info.timeline_start_ms + moved_ms)
        except DiskFailure as failure:
            self._disk_failed(failure, writer.end_ms)
            return
        track.policy.segment_start_ms = writer.info.timeline_start_ms
        track.last_end_ms = writer.end_ms
        if track.last_frame_ms is not None:
            track.last_frame_ms += moved_ms

    def _ask_keyframe_for_retry(self, track: _Track) -> None:
        """A video track can only try the disk again with a keyframe: ask for one, once per
        retry (browsers send none unprompted)."""
        if track.keyframe_asked_for_retry != self._next_retry_s:
            track.keyframe_asked_for_retry = self._next_retry_s
            self._emit(
                KeyframeRequested(self.config.hearing_id, track.participant_id, track.track_id)
            )

    def _written(self, track: _Track, timeline_ms: int, duration_ms: int) -> None:
        self.stats.frames_written += 1
        if track.gap is not None:
            gap, track.gap = track.gap, None
            if timeline_ms > gap.start_ms:
                self._emit(GapRecorded(self._gap(track, gap, timeline_ms)))
        track.last_end_ms = timeline_ms + duration_ms
        if self._failed_at_ms is not None:
            down_for_ms = timeline_ms - self._failed_at_ms
            self._failed_at_ms = None
            self.stats.failed = False
            logger.warning("recording: hearing %s writing again", self.config.hearing_id)
            self._emit(RecorderResumed(self.config.hearing_id, timeline_ms, down_for_ms))
            self._salvage_abandoned()

    def _track_for(self, frame: EncodedFrame) -> _Track | None:
        track = self._tracks.get(frame.track_id)
        if track is not None or frame.track_id in self._rejected_tracks:
            return track
        if not layout.is_safe_id(frame.participant_id):
            logger.error(
                "recording: hearing %s: participant id %r cannot name a file; track %s ignored",
                self.config.hearing_id, frame.participant_id, frame.track_id,
            )  # fmt: skip
            self._rejected_tracks.add(frame.track_id)
            return None
        config = self.config
        track = _Track(
            participant_id=frame.participant_id,
            track_id=frame.track_id,
            kind=frame.kind,
            codec=frame.codec,
            timeline=TrackTimeline(
                clock_rate=frame.clock_rate,
                origin_s=config.origin_monotonic_s,
                resync_threshold_ms=config.resync_threshold_ms,
                clock=self._clocks.setdefault(frame.participant_id, ParticipantClock()),
            ),
            policy=SegmentPolicy(
                is_video=frame.kind is TrackKind.VIDEO,
                segment_ms=round(config.segment_s * 1000),
                keyframe_wait_ms=round(config.keyframe_wait_s * 1000),
            ),
        )
        self._tracks[frame.track_id] = track
        return track

    @staticmethod
    def _duration_ms(track: _Track, frame: EncodedFrame, timeline_ms: int) -> int:
        if frame.codec == "opus":
            return opus_duration_ms(frame.data)
        if track.last_frame_ms is not None and 0 < timeline_ms - track.last_frame_ms <= 1000:
            track.frame_interval_ms = timeline_ms - track.last_frame_ms
        track.last_frame_ms = timeline_ms
        return track.frame_interval_ms

    def _open_segment(self, track: _Track, frame: EncodedFrame, start_ms: int) -> SegmentWriter:
        if track.writer is not None:  # never leak an open file, whatever the policy thought
            self._finish_segment(track)
        key = (track.participant_id, track.kind)
        if key not in self._next_seq:
            self._next_seq[key] = (
                layout.highest_seq(self.config.hearing_dir, track.participant_id, track.kind) + 1
            )
        seq = self._next_seq[key]
        self._next_seq[key] = seq + 1
        info = OpenSegmentInfo(
            hearing_id=self.config.hearing_id,
            participant_id=track.participant_id,
            track_id=track.track_id,
            kind=track.kind,
            codec=track.codec,
            seq=seq,
            timeline_start_ms=start_ms,
            origin_epoch_s=self.config.origin_epoch_s,
            width=track.picture_size[0] if track.picture_size else frame.width,
            height=track.picture_size[1] if track.picture_size else frame.height,
        )
        path = layout.segment_path(self.config.hearing_dir, track.participant_id, track.kind, seq)
        return SegmentWriter(info, path, opener=self._opener, width=info.width, height=info.height)

    def _close_segment(self, track: _Track) -> None:
        """Close the track's segment for a reason outside its policy (pause, failure, end)."""
        track.policy.segment_lost()
        self._finish_segment(track)

    def _finish_segment(self, track: _Track, end_ms: int | None = None) -> None:
        """Finalize the track's open segment, if any; a disk failure abandons it instead."""
        writer, track.writer = track.writer, None
        if writer is None:
            return
        if writer.packet_count == 0:
            writer.abandon()
            return
        try:
            segment = writer.finalize(end_ms)
        except RecordingError as failure:
            writer.abandon()
            self.stats.abandoned_partials.append(writer.partial_path)
            if isinstance(failure, DiskFailure):
                self._disk_failed(failure, writer.end_ms)
            return
        self.stats.segments_closed += 1
        track.closed_end_ms = segment.timeline_end_ms
        self._call(self._on_segment, segment)

    def _disk_failed(self, failure: DiskFailure, timeline_ms: int) -> None:
        self._next_retry_s = self._clock() + self.config.retry_interval_s
        first = self._failed_at_ms is None
        if first:
            self._failed_at_ms = timeline_ms
            self.stats.failed = True
            logger.error(
                "recording: hearing %s disk failure (%s), media is not being recorded",
                self.config.hearing_id, failure.message,
            )  # fmt: skip
            self._emit(
                RecorderFailed(
                    self.config.hearing_id,
                    failure.errno,
                    failure.message,
                    failure.path,
                    timeline_ms,
                )
            )
        for track in self._tracks.values():
            writer = track.writer
            if writer is not None and writer.partial_path == Path(failure.path):
                track.writer = None
                track.policy.segment_lost()
                writer.abandon()
                self.stats.abandoned_partials.append(writer.partial_path)
        # Other open files may still close cleanly (their data stays whole); if not, abandoned.
        for track in self._tracks.values():
            self._close_segment(track)
            self._open_gap(track, GapReason.DISK_FAILURE, failure.message, timeline_ms)

    def _salvage_abandoned(self) -> None:
        pending, self.stats.abandoned_partials = self.stats.abandoned_partials, []
        for segment in salvage(pending):
            self.stats.segments_closed += 1
            self._call(self._on_segment, segment)

    def _open_gap(self, track: _Track, reason: GapReason, detail: str, now_ms: int) -> None:
        if track.gap is None:
            start = track.last_end_ms if track.last_end_ms is not None else now_ms
            track.gap = _OpenGap(min(start, now_ms), reason, detail)

    def _gap(self, track: _Track, gap: _OpenGap, end_ms: int) -> RecordingGap:
        return RecordingGap(
            hearing_id=self.config.hearing_id,
            participant_id=track.participant_id,
            track_id=track.track_id,
            kind=track.kind,
            start_ms=gap.start_ms,
            end_ms=end_ms,
            reason=gap.reason,
            detail=gap.detail,
        )

    def close_all(self, reason: GapReason, detail: str) -> None:
        now_ms = self._now_ms()
        for track in self._tracks.values():
            self._close_segment(track)
            self._open_gap(track, reason, detail, now_ms)

    def housekeeping(self) -> None:
        now = self._clock()
        if now < self._next_sync_s:
            return
        self._next_sync_s = now + self.config.fsync_interval_s
        for track in self._tracks.values():
            if track.writer is None:
                continue
            try:
                track.writer.sync()
            except DiskFailure as failure:
                self._disk_failed(failure, track.writer.end_ms if track.writer else self._now_ms())

    def shutdown(self, dropped: dict[str, int]) -> None:
        """Close everything; report still-open gaps up to now (the end of the recording),
        counting the frames dropped since the last one taken (``dropped``, per track)."""
        now_ms = self._now_ms()
        for track_id, count in dropped.items():
            track = self._tracks.get(track_id)
            if track is not None:
                self._open_gap(track, GapReason.QUEUE_FULL, f"{count} frames", now_ms)
        for track in self._tracks.values():
            try:
                self._close_segment(track)
            except Exception:
                logger.exception(
                    "recording: hearing %s closing %s", self.config.hearing_id, track.track_id
                )
            if track.gap is not None and now_ms > track.gap.start_ms:
                self._emit(GapRecorded(self._gap(track, track.gap, now_ms)))
                track.gap = None

    def _now_ms(self) -> int:
        return max(0, round((self._clock() - self.config.origin_monotonic_s) * 1000))

    def _emit(self, event: RecorderEvent) -> None:
        self._call(self._on_event, event)

    def _call(
        self, callback: Callable[[ClosedSegment], None] | EventCallback, item: object
    ) -> None:
        try:
            callback(item)  # type: ignore[arg-type]
        except Exception:
            logger.exception("recording: hearing %s callback failed", self.config.hearing_id)
