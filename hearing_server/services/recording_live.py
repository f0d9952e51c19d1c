"""The live hearing's recording: forwarded packets → ``HearingRecorder``, its news → the log.

Recording runs while the hearing is in session; a recess pauses it (the pause, its reason and
the resume are events). Every closed segment (path, SHA-256, size, timeline span) and every
failure or gap is appended to the hearing's hash-chained event log, and failures reach the
staff in the courtroom at once (``recording_alert``). The recorder's callbacks run on its
writer thread; they are handed to the event loop before touching anything.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hearing_server.services.ports import TappedTrack
from recording import (
    ClosedSegment,
    EncodedFrame,
    GapRecorded,
    HearingRecorder,
    KeyframeRequested,
    RecorderConfig,
    RecorderEvent,
    RecorderFailed,
    RecorderResumed,
    RecordingGap,
    TrackKind,
)
from recording.segment_writer import FileOpener, open_exclusive

log = logging.getLogger(__name__)
LogEvent = Callable[[str, dict[str, Any]], Awaitable[None]]
LogSegment = Callable[[str, ClosedSegment], Awaitable[None]]
#: How often the watchdog looks for frames the full inbox turned away (writer behind).
BEHIND_CHECK_S = 1.0
RTP_CLOCK = {"video": 90_000, "audio": 48_000}
CODEC = {"video": "vp8", "audio": "opus"}
# Frames are handed to the writer thread in batches: one lock and one thread wake-up per
# batch instead of per frame (the writer is at most ~50 ms behind the loop).
HAND_OFF_INTERVAL_S = 0.05


def _participant(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def gap_to_json(gap: RecordingGap) -> dict[str, Any]:
    return {
        "participant_id": _participant(gap.participant_id), "kind": gap.kind.value,
        "start_ms": gap.start_ms, "end_ms": gap.end_ms, "reason": str(gap.reason),
        "detail": gap.detail,
    }  # fmt: skip


def segment_to_json(segment: ClosedSegment) -> dict[str, Any]:
    return {
        "file": segment.path.name,
        "participant_id": _participant(segment.participant_id),
        "kind": segment.kind.value,
        "seq": segment.seq,
        "size_bytes": segment.size_bytes,
        "duration_ms": segment.duration_ms,
        "sha256": segment.sha256,
        "timeline_start_ms": segment.timeline_start_ms,
        "timeline_end_ms": segment.timeline_end_ms,
        "recovered": segment.recovered,
    }


class LiveRecording:
    def __init__(
        self,
        hearing_id: int,
        directory: Path,
        *,
        log_event: LogEvent,
        log_segment: LogSegment,
        alert: Callable[[dict[str, Any]], Awaitable[None]],
        request_keyframe: Callable[[int, str], None],
        segment_s: float = 60.0,
        opener: FileOpener = open_exclusive,
        queue_frames: int = 2000,
    ) -> None:
        self.hearing_id = hearing_id
        self.directory = directory
        self.segment_s = segment_s
        self._opener = opener
        self._queue_frames = queue_frames
        self._log_event = log_event
        self._log_segment = log_segment
        self._alert = alert
        self._request_keyframe = request_keyframe
        self._loop = asyncio.get_running_loop()
        self._recorder: HearingRecorder | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._batch: list[EncodedFrame] = []
        self._hand_off: asyncio.TimerHandle | None = None
        self._watchdog: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self._recorder is not None and not self._recorder.paused

    async def start(self, *, origin_epoch_s: float | None = None) -> None:
        """Start (or resume) recording. ``origin_epoch_s``: when this hearing's recording first
        started, to continue its timeline (after a restart); None starts the timeline now."""
        if self._recorder is not None:
            if self._recorder.paused:
                self._recorder.resume()
                await self._log_event("recording.resumed", {})
            return
        now_epoch, now_monotonic = time.time(), time.monotonic()
        origin = now_epoch if origin_epoch_s is None else origin_epoch_s
        config = RecorderConfig(
            hearing_id=str(self.hearing_id), hearing_dir=self.directory,
            origin_monotonic_s=now_monotonic - (now_epoch - origin), origin_epoch_s=origin,
            segment_s=self.segment_s, queue_frames=self._queue_frames,
        )  # fmt: skip
        self.directory.mkdir(parents=True, exist_ok=True)
        self._recorder = HearingRecorder(
            config, on_segment=self._from_thread(self._segment_closed),
            on_event=self._from_thread(self._recorder_event), opener=self._opener,
        )  # fmt: skip
        self._recorder.start()
        self._watchdog = self._loop.create_task(self._watch_inbox(self._recorder))
        started = {"directory": self.directory.name, "origin_epoch_ms": round(origin * 1000)}
        if origin_epoch_s is not None:
            started["continues_timeline"] = True
        await self._log_event("recording.started", started)

    async def pause(self, reason: str) -> None:
        if self._recorder is not None and not self._recorder.paused:
            self._hand_over()  # what came before the pause is recorded
            self._recorder.pause(reason)
            await self._log_event("recording.paused", {"reason": reason})

    async def stop(self) -> None:
        self._hand_over()
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None
        await asyncio.to_thread(recorder.close)
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self._log_event("recording.stopped", {})

    def tap(
        self, publication: TappedTrack, data: bytes, rtp_timestamp: int, keyframe: bool
    ) -> None:
        """On the event loop, for every forwarded frame: queue it for the writer thread."""
        recorder = self._recorder
        if recorder is None or recorder.paused:
            return
        kind = publication.kind
        self._batch.append(
            EncodedFrame(
                participant_id=str(publication.participant_id),
                track_id=f"{publication.participant_id}-{kind}",
                kind=TrackKind(kind),
                codec=CODEC[kind],
                data=data,
                rtp_timestamp=rtp_timestamp & 0xFFFFFFFF,
                clock_rate=RTP_CLOCK[kind],
                keyframe=keyframe,
                arrival_s=time.monotonic(),
            )
        )
        if self._hand_off is None:
            self._hand_off = self._loop.call_later(HAND_OFF_INTERVAL_S, self._hand_over)

    def _hand_over(self) -> None:
        if self._hand_off is not None:
            self._hand_off.cancel()
            self._hand_off = None
        batch, self._batch = self._batch, []
        if batch and self._recorder is not None:
            self._recorder.submit_many(batch)

    async def _watch_inbox(self, recorder: HearingRecorder) -> None:
        """Alert the courtroom when the writer falls behind and frames are being dropped."""
        dropped = recorder.stats.frames_dropped_queue
        while True:
            await asyncio.sleep(BEHIND_CHECK_S)
            now_dropped = recorder.stats.frames_dropped_queue
            if now_dropped > dropped:
                log.warning("hearing %s: recorder behind, %d frames dropped",
                            self.hearing_id, now_dropped - dropped)  # fmt: skip
                payload = {"dropped_frames": now_dropped - dropped,
                           "queued_frames": recorder.queued_frames}  # fmt: skip
                try:
                    await self._alert({"kind": "behind", **payload})
                except Exception:
                    log.exception("hearing %s: recording alert failed", self.hearing_id)
            dropped = now_dropped

    # -- from the writer thread ------------------------------------------------------------

    def _from_thread(self, handler: Callable[[Any], Awaitable[None]]) -> Callable[[Any], None]:
        def hop(item: Any) -> None:
            self._loop.call_soon_threadsafe(self._spawn, handler(item))

        return hop

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("hearing %s: recording bookkeeping failed", self.hearing_id)

        task = self._loop.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _segment_closed(self, segment: ClosedSegment) -> None:
        await self._log_segment("recording.segment_closed", segment)

    async def _recorder_event(self, event: RecorderEvent) -> None:
        if isinstance(event, KeyframeRequested):
            self._request_keyframe(int(event.participant_id), event.track_id.rsplit("-", 1)[-1])
        elif isinstance(event, RecorderFailed):
            payload = {"errno": event.errno, "message": event.message,
                       "timeline_ms": event.timeline_ms}  # fmt: skip
            await self._log_event("recording.failed", payload)
            await self._alert({"kind": "failed", **payload})
        elif isinstance(event, RecorderResumed):
            payload = {"timeline_ms": event.timeline_ms, "down_for_ms": event.down_for_ms}
            await self._log_event("recording.recovered_from_failure", payload)
            await self._alert({"kind": "resumed", **payload})
        elif isinstance(event, GapRecorded):
            await self._log_event("recording.gap", gap_to_json(event.gap))
