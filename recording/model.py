"""The recorder's plain records: what goes in, what comes out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrackKey:
    participant_id: int
    kind: str  # "audio" or "video"

    @property
    def label(self) -> str:
        return f"{self.participant_id}-{self.kind}"


@dataclass(frozen=True)
class EncodedFrame:
    """One complete encoded frame as it arrived: a VP8 frame or an Opus packet."""

    track: TrackKey
    data: bytes
    pts: int  # RTP time since the track's first packet (aiortc unwraps the 32-bit clock)
    clock_rate: int
    keyframe: bool
    arrival_s: float  # monotonic clock


@dataclass(frozen=True)
class ClosedSegment:
    path: Path
    track: TrackKey
    seq: int
    size_bytes: int
    sha256: str
    start_ms: int  # on the hearing timeline
    end_ms: int
    recovered: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path.name,
            "participant_id": self.track.participant_id,
            "kind": self.track.kind,
            "seq": self.seq,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "recovered": self.recovered,
        }


@dataclass(frozen=True)
class RecordingProblem:
    """Something the judge must hear about within seconds: a failed disk, a lagging writer."""

    kind: str  # "write_failed", "overflow", "resumed"
    track: TrackKey | None
    message: str
    at_ms: int
