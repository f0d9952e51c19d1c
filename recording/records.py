"""Typed records that travel into and out of the recorder; no I/O, no aiortc."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hearing_server.domain.sender_report import SenderReport
from recording.exceptions import InvalidFrame

__all__ = [
    "ClosedSegment",
    "EncodedFrame",
    "GapReason",
    "GapRecorded",
    "KeyframeRequested",
    "RecorderEvent",
    "RecorderFailed",
    "RecorderResumed",
    "RecordingGap",
    "TrackKind",
]


class TrackKind(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


#: Codecs the recorder can mux without decoding (RTP payload name → clock rate).
SUPPORTED_CODECS: dict[str, int] = {"vp8": 90000, "opus": 48000}


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    """One complete encoded frame of one published track, as the media layer received it.

    ``rtp_timestamp`` is the raw 32-bit RTP timestamp (wraps, random start); ``arrival_s`` is
    the monotonic clock (``time.monotonic()``) when the frame left the jitter buffer.
    ``sender_report``: the latest RTCP sender report of its publication (None before the
    first), which places the frame by the sender's clock (``recording.timeline``).
    """

    participant_id: str
    track_id: str
    kind: TrackKind
    codec: str
    data: bytes
    rtp_timestamp: int
    clock_rate: int
    keyframe: bool
    arrival_s: float
    width: int | None = None
    height: int | None = None
    sender_report: SenderReport | None = None

    def __post_init__(self) -> None:
        if self.codec not in SUPPORTED_CODECS:
            raise InvalidFrame(f"codec {self.codec!r} cannot be recorded")
        if self.clock_rate <= 0:
            raise InvalidFrame(f"clock rate must be positive, got {self.clock_rate}")


class GapReason(StrEnum):
    QUEUE_FULL = "queue_full"
    DISK_FAILURE = "disk_failure"
    PAUSED = "paused"
    AWAITING_KEYFRAME = "awaiting_keyframe"
    CRASH = "crash"


@dataclass(frozen=True, slots=True)
class RecordingGap:
    """A stretch of one track's timeline that is not in any segment, and why."""

    hearing_id: str
    participant_id: str
    track_id: str
    kind: TrackKind
    start_ms: int
    end_ms: int
    reason: GapReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ClosedSegment:
    """A finished, renamed, fsynced segment file: what the server stores in the DB and log."""

    path: Path
    hearing_id: str
    participant_id: str
    track_id: str
    kind: TrackKind
    codec: str
    seq: int
    size_bytes: int
    duration_ms: int
    sha256: str
    timeline_start_ms: int
    timeline_end_ms: int
    packet_count: int
    recovered: bool = False


@dataclass(frozen=True, slots=True)
class RecorderFailed:
    """Writing stopped because the disk failed; the hearing goes on, media is being lost."""

    hearing_id: str
    errno: int | None
    message: str
    path: str
    timeline_ms: int


@dataclass(frozen=True, slots=True)
class RecorderResumed:
    """Segments open again after a disk failure."""

    hearing_id: str
    timeline_ms: int
    down_for_ms: int


@dataclass(frozen=True, slots=True)
class KeyframeRequested:
    """The recorder needs a keyframe on this track (start, rotation, after a gap)."""

    hearing_id: str
    participant_id: str
    track_id: str


@dataclass(frozen=True, slots=True)
class GapRecorded:
    gap: RecordingGap


RecorderEvent = RecorderFailed | RecorderResumed | KeyframeRequested | GapRecorded
