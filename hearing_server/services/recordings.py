"""The hearing's recorded segments in the database: written with their log event, queried.

Every closed (or recovered) segment file is one ``RecordingSegment`` row, inserted in the same
transaction as the hearing event that logs it, so the database and the hash-chained log never
disagree about what was recorded. ``list_segments`` is the one query everyone else uses (the
recording API, the signing manifest, exports).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.exceptions import NotFound, ValidationFailed
from hearing_server.services.hearings import get_hearing
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import Participant, RecordingSegment

RECORDINGS_DIR = "recordings"
SEGMENT_KINDS = frozenset({"audio", "video"})
#: What a browser's <video>/<audio> needs to play VP8 / Opus in Matroska (WebM is Matroska).
CONTENT_TYPES = {"video": "video/webm", "audio": "audio/webm"}


@dataclass(frozen=True)
class NewSegment:
    """A closed segment file as the recorder reports it; ``path`` relative to the root."""

    participant_id: int
    kind: str
    track_id: str
    path: str
    size: int
    sha256: str
    duration_ms: int
    start_ms: int
    end_ms: int
    recovered: bool = False

    def __post_init__(self) -> None:
        if self.kind not in SEGMENT_KINDS:
            raise ValueError(f"segment kind must be audio or video, not {self.kind!r}")
        if Path(self.path).is_absolute() or ".." in Path(self.path).parts:
            raise ValueError(f"segment path must be relative to the recordings root: {self.path}")


def recordings_root(data_dir: Path) -> Path:
    return data_dir / RECORDINGS_DIR


async def add_segment(
    session: AsyncSession,
    hearing_id: int,
    segment: NewSegment,
    *,
    event_kind: str,
    event_payload: Mapping[str, Any],
    at: datetime,
) -> RecordingSegment:
    """Insert the row and append its log event, inside the caller's write transaction.

    Raises ``NotFound`` for an unknown hearing, ``ValidationFailed`` for a participant who is
    not in it (recordings left over from another database)."""
    hearing = await get_hearing(session, hearing_id, lock=True)
    participant = await session.get(Participant, segment.participant_id)
    if participant is None or participant.hearing_id != hearing_id:
        raise ValidationFailed(
            f"participant {segment.participant_id} is not in hearing {hearing_id}"
        )
    row = RecordingSegment(
        hearing_id=hearing_id,
        participant_id=segment.participant_id,
        kind=segment.kind,
        track_id=segment.track_id,
        path=segment.path,
        size=segment.size,
        sha256=segment.sha256,
        duration_ms=segment.duration_ms,
        start_ms=segment.start_ms,
        end_ms=segment.end_ms,
        recovered=segment.recovered,
        created_at=at,
    )
    session.add(row)
    await session.flush()
    await append_event(
        session, hearing, actor="system", kind=event_kind,
        payload={**event_payload, "segment_id": row.id}, at=at,
    )  # fmt: skip
    return row


async def list_segments(session: AsyncSession, hearing_id: int) -> list[RecordingSegment]:
    """The hearing's segments in timeline order (start, then participant, then kind)."""
    result = await session.exec(
        select(RecordingSegment)
        .where(RecordingSegment.hearing_id == hearing_id)
        .order_by(
            col(RecordingSegment.start_ms),
            col(RecordingSegment.participant_id),
            col(RecordingSegment.kind),
            col(RecordingSegment.id),
        )
    )
    return list(result.all())


async def get_segment(session: AsyncSession, hearing_id: int, segment_id: int) -> RecordingSegment:
    row = await session.get(RecordingSegment, segment_id)
    if row is None or row.hearing_id != hearing_id:
        raise NotFound(f"recording segment {segment_id} not found in hearing {hearing_id}")
    return row


def segment_file(data_dir: Path, segment: RecordingSegment) -> Path:
    """The file on disk; refuses a stored path that would leave the recordings root."""
    root = recordings_root(data_dir).resolve()
    path = (root / segment.path).resolve()
    if not path.is_relative_to(root):
        raise NotFound(f"recording segment {segment.id} has no file")
    return path


def segment_to_json(
    segment: RecordingSegment, participant: Participant | None, *, url: str
) -> dict[str, Any]:
    return {
        "id": segment.id,
        "participant_id": segment.participant_id,
        "display_name": participant.display_name if participant else "",
        "role": participant.role if participant else "",
        "kind": segment.kind,
        "track_id": segment.track_id,
        "start_ms": segment.start_ms,
        "end_ms": segment.end_ms,
        "duration_ms": segment.duration_ms,
        "size": segment.size,
        "sha256": segment.sha256,
        "recovered": segment.recovered,
        "url": url,
    }
