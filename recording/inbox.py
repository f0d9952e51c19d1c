"""The bounded hand-off from the event loop to the writer thread.

Frames are bounded (a full inbox drops the frame and counts it per track, never blocks the
loop); control messages (pause, resume, close) are never dropped and keep their order with
the frames around them.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from recording.records import EncodedFrame


@dataclass(frozen=True, slots=True)
class QueuedFrame:
    frame: EncodedFrame
    dropped_before: int  # frames of the same track dropped since the last one queued


@dataclass(frozen=True, slots=True)
class Pause:
    reason: str


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class Close:
    pass


Control = Pause | Resume | Close


class Inbox:
    def __init__(self, capacity_frames: int) -> None:
        if capacity_frames <= 0:
            raise ValueError("inbox capacity must be positive")
        self._capacity = capacity_frames
        self._items: deque[QueuedFrame | Control] = deque()
        self._frames = 0
        self._dropped: dict[str, int] = {}
        self._ready = threading.Condition(threading.Lock())
        self.dropped_total = 0

    def offer(self, frame: EncodedFrame) -> bool:
        """Queue a frame unless the inbox is full; never blocks."""
        with self._ready:
            if self._frames >= self._capacity:
                self._dropped[frame.track_id] = self._dropped.get(frame.track_id, 0) + 1
                self.dropped_total += 1
                return False
            lost = self._dropped.pop(frame.track_id, 0) if self._dropped else 0
            self._items.append(QueuedFrame(frame, lost))
            self._frames += 1
            self._ready.notify()
        return True

    def offer_many(self, frames: list[EncodedFrame]) -> int:
        """Queue frames in order, dropping those that do not fit; one lock and one wake-up
        for the whole batch. Returns how many were queued."""
        queued = 0
        with self._ready:
            for frame in frames:
                if self._frames >= self._capacity:
                    self._dropped[frame.track_id] = self._dropped.get(frame.track_id, 0) + 1
                    self.dropped_total += 1
                    continue
                lost = self._dropped.pop(frame.track_id, 0) if self._dropped else 0
                self._items.append(QueuedFrame(frame, lost))
                self._frames += 1
                queued += 1
            if queued:
                self._ready.notify()
        return queued

    def put_control(self, control: Control) -> None:
        with self._ready:
            self._items.append(control)
            self._ready.notify()

    def take(self, timeout_s: float) -> QueuedFrame | Control | None:
        """The next item, or None when nothing came within ``timeout_s``."""
        with self._ready:
            if not self._items:
                self._ready.wait(timeout_s)
                if not self._items:
                    return None
            item = self._items.popleft()
            if isinstance(item, QueuedFrame):
                self._frames -= 1
            return item

    def take_dropped(self) -> dict[str, int]:
        """Per-track counts of dropped frames not yet followed by a queued frame."""
        with self._ready:
            dropped, self._dropped = self._dropped, {}
        return dropped

    def __len__(self) -> int:
        return self._frames
