"""The hearing recorder: a writer thread behind a bounded inbox (the thread-side adapter).

``submit()`` is called on the event loop for every encoded frame and never blocks or raises.
The writer thread owns every open segment (its work is ``tracks.TrackWriters``): it places
frames on the timeline, lets each track's ``SegmentPolicy`` decide when files open and rotate,
writes packets, fsyncs periodically, and reports closed segments, gaps and disk failures
through callbacks (called on the writer thread: hand them to the loop with
``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from recording import layout
from recording.exceptions import RecordingError
from recording.inbox import Close, Inbox, Pause, QueuedFrame, Resume
from recording.records import EncodedFrame, GapReason
from recording.segment_writer import FileOpener, open_exclusive
from recording.tracks import (
    EventCallback,
    RecorderConfig,
    RecorderStats,
    SegmentCallback,
    TrackWriters,
)

__all__ = ["EventCallback", "HearingRecorder", "RecorderConfig", "RecorderStats", "SegmentCallback"]

logger = logging.getLogger(__name__)


class HearingRecorder:
    def __init__(
        self,
        config: RecorderConfig,
        *,
        on_segment: SegmentCallback,
        on_event: EventCallback,
        opener: FileOpener = open_exclusive,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not layout.is_safe_id(config.hearing_id):
            raise RecordingError(f"hearing id {config.hearing_id!r} cannot name a directory")
        self.config = config
        self._inbox = Inbox(config.queue_frames)
        self._accepting = False
        self._paused = False
        self.stats = RecorderStats()
        self._writers = TrackWriters(
            config, self.stats, on_segment=on_segment, on_event=on_event, opener=opener,
            clock=clock,
        )  # fmt: skip
        self._thread = threading.Thread(
            target=self._run, name=f"recorder-{config.hearing_id}", daemon=True
        )

    # ---- event-loop side ---------------------------------------------------------------

    def start(self) -> None:
        self.config.hearing_dir.mkdir(parents=True, exist_ok=True)
        self._accepting = True
        self._thread.start()

    def submit(self, frame: EncodedFrame) -> bool:
        """Hand one frame to the writer; False if it was not taken (full, paused, closed)."""
        if not self._accepting or self._paused:
            return False
        accepted = self._inbox.offer(frame)
        if not accepted:
            self.stats.frames_dropped_queue += 1
        return accepted

    def submit_many(self, frames: list[EncodedFrame]) -> int:
        """Hand a batch of frames (in arrival order) to the writer with one wake-up; returns
        how many were taken. Like ``submit``, never blocks or raises."""
        if not self._accepting or self._paused or not frames:
            return 0
        accepted = self._inbox.offer_many(frames)
        self.stats.frames_dropped_queue += len(frames) - accepted
        return accepted

    def pause(self, reason: str) -> None:
        """Close the open segments; frames are ignored until ``resume()`` (a gap per track)."""
        if self._accepting and not self._paused:
            self._paused = True
            self._inbox.put_control(Pause(reason))

    def resume(self) -> None:
        if self._accepting and self._paused:
            self._inbox.put_control(Resume())
            self._paused = False

    def close(self, timeout_s: float | None = None) -> bool:
        """Flush and close every segment; True if the writer finished within the timeout."""
        if self._accepting:
            self._accepting = False
            self._inbox.put_control(Close())
        if self._thread.is_alive():
            self._thread.join(self.config.close_timeout_s if timeout_s is None else timeout_s)
        return not self._thread.is_alive()

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def queued_frames(self) -> int:
        return len(self._inbox)

    # ---- writer thread -----------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                item = self._inbox.take(timeout_s=0.25)
                if isinstance(item, QueuedFrame):
                    self._writers.on_frame(item.frame, item.dropped_before)
                elif isinstance(item, Pause):
                    self._writers.close_all(GapReason.PAUSED, item.reason)
                elif isinstance(item, Close):
                    break
                self._writers.housekeeping()
        except Exception:
            logger.exception("recording: hearing %s writer crashed", self.config.hearing_id)
        finally:
            self._writers.shutdown(self._inbox.take_dropped())
