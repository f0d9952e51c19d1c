"""Where segments live on disk, how they are named, and their JSON sidecars.

    <recordings_dir>/<hearing_id>/<participant_id>-<kind>-<seq:05d>.mkv           closed segment
    <recordings_dir>/<hearing_id>/<participant_id>-<kind>-<seq:05d>.mkv.json      its record
    <recordings_dir>/<hearing_id>/<participant_id>-<kind>-<seq:05d>.mkv.partial   being written
    <recordings_dir>/<hearing_id>/<participant_id>-<kind>-<seq:05d>.mkv.open.json  its metadata
    <recordings_dir>/<hearing_id>/quarantine/                                      unrecoverable

A segment is written as ``.partial`` and renamed to ``.mkv`` only once closed and fsynced, so
the name alone tells a finished file from one a crash left behind.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recording.records import ClosedSegment, TrackKind

PARTIAL_SUFFIX = ".partial"
OPEN_SIDECAR_SUFFIX = ".open.json"
CLOSED_SIDECAR_SUFFIX = ".json"
QUARANTINE_DIR = "quarantine"
SIDECAR_FORMAT = 1

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_SEGMENT_NAME = re.compile(r"^(?P<prefix>.+-(?:video|audio))-(?P<seq>\d{5,})\.mkv")


def is_safe_id(value: str) -> bool:
    """Ids become file names: letters, digits, ``_.-``, no leading dot, at most 128 chars."""
    return bool(_SAFE_ID.match(value))


def segment_path(hearing_dir: Path, participant_id: str, kind: TrackKind, seq: int) -> Path:
    return hearing_dir / f"{participant_id}-{kind.value}-{seq:05d}.mkv"


def partial_path(final: Path) -> Path:
    return final.with_name(final.name + PARTIAL_SUFFIX)


def open_sidecar_path(final: Path) -> Path:
    return final.with_name(final.name + OPEN_SIDECAR_SUFFIX)


def closed_sidecar_path(final: Path) -> Path:
    return final.with_name(final.name + CLOSED_SIDECAR_SUFFIX)


def final_path_of_partial(partial: Path) -> Path:
    return partial.with_name(partial.name.removesuffix(PARTIAL_SUFFIX))


def highest_seq(hearing_dir: Path, participant_id: str, kind: TrackKind) -> int:
    """The highest sequence number already used for this participant and kind (0 if none)."""
    prefix = f"{participant_id}-{kind.value}"
    highest = 0
    if not hearing_dir.is_dir():
        return 0
    for entry in os.scandir(hearing_dir):
        match = _SEGMENT_NAME.match(entry.name)
        if match and match.group("prefix") == prefix:
            highest = max(highest, int(match.group("seq")))
    return highest


@dataclass(frozen=True, slots=True)
class OpenSegmentInfo:
    """What a crash must not lose about a segment being written: written before its media."""

    hearing_id: str
    participant_id: str
    track_id: str
    kind: TrackKind
    codec: str
    seq: int
    timeline_start_ms: int
    origin_epoch_s: float
    width: int | None
    height: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SIDECAR_FORMAT,
            "hearing_id": self.hearing_id,
            "participant_id": self.participant_id,
            "track_id": self.track_id,
            "kind": self.kind.value,
            "codec": self.codec,
            "seq": self.seq,
            "timeline_start_ms": self.timeline_start_ms,
            "origin_epoch_s": self.origin_epoch_s,
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OpenSegmentInfo:
        width, height = data.get("width"), data.get("height")
        return cls(
            hearing_id=str(data["hearing_id"]),
            participant_id=str(data["participant_id"]),
            track_id=str(data["track_id"]),
            kind=TrackKind(data["kind"]),
            codec=str(data["codec"]),
            seq=int(data["seq"]),
            timeline_start_ms=int(data["timeline_start_ms"]),
            origin_epoch_s=float(data["origin_epoch_s"]),
            width=None if width is None else int(width),
            height=None if height is None else int(height),
        )


def closed_segment_to_json(segment: ClosedSegment) -> dict[str, Any]:
    return {
        "format": SIDECAR_FORMAT,
        "file": segment.path.name,
        "hearing_id": segment.hearing_id,
        "participant_id": segment.participant_id,
        "track_id": segment.track_id,
        "kind": segment.kind.value,
        "codec": segment.codec,
        "seq": segment.seq,
        "size_bytes": segment.size_bytes,
        "duration_ms": segment.duration_ms,
        "sha256": segment.sha256,
        "timeline_start_ms": segment.timeline_start_ms,
        "timeline_end_ms": segment.timeline_end_ms,
        "packet_count": segment.packet_count,
        "recovered": segment.recovered,
    }


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write, fsync, rename over ``path``, fsync the directory: old or new, never half."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as handle:
        handle.write(json.dumps(data, indent=1, sort_keys=True).encode())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_directory(path.parent)


def read_json(path: Path) -> dict[str, Any]:
    with open(path, "rb") as handle:
        data = json.loads(handle.read())
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: not a JSON object")
    return data


def fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
