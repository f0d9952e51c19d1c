"""When one track's segment opens, rotates or waits for a keyframe (pure state machine).

Audio rotates at the first packet at or after the rotation point. Video rotates at the first
keyframe at or after the rotation point so that every segment decodes on its own; the
recorder asks for a keyframe when the point is crossed (browsers send none unprompted) and
keeps writing into the current segment meanwhile. If no keyframe comes within
``keyframe_wait_ms``, the segment is closed anyway and the track drops frames until the next
keyframe (a gap) rather than start a file with undecodable frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Step(Enum):
    WRITE = "write"  # into the open segment
    OPEN = "open"  # open a segment starting with this frame
    ROTATE = "rotate"  # close the open segment, open a new one starting with this frame
    CLOSE_AND_DROP = "close_and_drop"  # close the open segment, drop this frame
    DROP = "drop"  # no segment open and this frame cannot start one


@dataclass(frozen=True, slots=True)
class Decision:
    step: Step
    request_keyframe: bool = False


class SegmentPolicy:
    def __init__(
        self,
        *,
        is_video: bool,
        segment_ms: int,
        keyframe_wait_ms: int,
        keyframe_request_interval_ms: int = 1000,
    ) -> None:
        if segment_ms <= 0:
            raise ValueError("segment length must be positive")
        self._is_video = is_video
        self._segment_ms = segment_ms
        self._keyframe_wait_ms = keyframe_wait_ms
        self._request_interval_ms = keyframe_request_interval_ms
        self._last_request_ms: int | None = None
        self.segment_start_ms: int | None = None

    @property
    def is_open(self) -> bool:
        return self.segment_start_ms is not None

    def decide(self, timeline_ms: int, keyframe: bool, *, new_format: bool = False) -> Decision:
        """``new_format``: this keyframe changes the picture size, so it starts a new file."""
        start = self.segment_start_ms
        if start is None:
            if self._is_video and not keyframe:
                return Decision(Step.DROP, self._request_due(timeline_ms))
            self.segment_start_ms = timeline_ms
            return Decision(Step.OPEN)
        rotation_ms = start + self._segment_ms
        if keyframe and new_format:
            self.segment_start_ms = timeline_ms
            return Decision(Step.ROTATE)
        if timeline_ms < rotation_ms:
            return Decision(Step.WRITE)
        if not self._is_video or keyframe:
            self.segment_start_ms = timeline_ms
            return Decision(Step.ROTATE)
        if timeline_ms >= rotation_ms + self._keyframe_wait_ms:
            self.segment_start_ms = None
            return Decision(Step.CLOSE_AND_DROP, self._request_due(timeline_ms))
        return Decision(Step.WRITE, self._request_due(timeline_ms))

    def segment_lost(self) -> None:
        """The open segment was closed or abandoned outside the policy (pause, disk failure)."""
        self.segment_start_ms = None

    def _request_due(self, timeline_ms: int) -> bool:
        last = self._last_request_ms
        if last is not None and timeline_ms - last < self._request_interval_ms:
            return False
        self._last_request_ms = timeline_ms
        return True
