"""Everything a hearing left on record, read back for signing and for the export bundle.

The transcript is rebuilt from the log's ``transcript.*`` events; the recording segments are
the ``recording_segments`` rows (each written in the same transaction as its log event).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.roles import PARTY_ROLES, STAFF_ROLES
from hearing_server.services.hearings import get_hearing
from hearing_server.services.participants import list_participants
from hearing_server.services.recordings import list_segments, segment_file
from hearing_server.store.eventlog import load_events
from hearing_server.store.models import Hearing, HearingEvent, Participant, RecordingSegment
from transcript.manifest import SegmentRef

LoggedEvent = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class SegmentFile:
    ref: SegmentRef
    source: Path


@dataclass
class HearingRecord:
    hearing: Hearing
    participants: list[Participant]
    events: list[HearingEvent]
    segments: list[SegmentFile]

    @property
    def logged(self) -> list[LoggedEvent]:
        return [(row.kind, json.loads(row.payload)) for row in self.events]

    def participant(self, participant_id: int) -> Participant | None:
        return next((p for p in self.participants if p.id == participant_id), None)


def _segment(data_dir: Path, row: RecordingSegment) -> SegmentFile:
    ref = SegmentRef(
        start_ms=row.start_ms, end_ms=row.end_ms,
        path=f"recording/{PurePosixPath(row.path).name}", sha256=row.sha256,
        size_bytes=row.size, participant_id=str(row.participant_id), kind=row.kind,
    )  # fmt: skip
    return SegmentFile(ref, segment_file(data_dir, row))


async def recorded_segments(
    session: AsyncSession, hearing_id: int, data_dir: Path
) -> list[SegmentFile]:
    """Every segment on record (``recording_segments``, written with its log event), in
    timeline order, each named ``recording/<file name>`` as the bundle holds it."""
    rows = await list_segments(session, hearing_id)
    return sorted((_segment(data_dir, row) for row in rows), key=lambda s: s.ref)


async def load_record(session: AsyncSession, hearing_id: int, data_dir: Path) -> HearingRecord:
    hearing = await get_hearing(session, hearing_id)
    events = await load_events(session, hearing_id)
    return HearingRecord(
        hearing=hearing,
        participants=await list_participants(session, hearing_id),
        events=events,
        segments=await recorded_segments(session, hearing_id, data_dir),
    )


def last_lock_seq(events: Iterable[HearingEvent]) -> int:
    """Seq of the latest ``transcript.locked`` event (0 if never locked)."""
    return max((row.seq for row in events if row.kind == "transcript.locked"), default=0)


def admitted_ids(logged: Iterable[LoggedEvent]) -> set[int]:
    return {int(p["participant_id"]) for kind, p in logged if kind == "lobby.admitted"}


def required_signers(record: HearingRecord) -> list[Participant]:
    """The judge, the clerk, and every party (not observers) who was admitted to the hearing."""
    admitted = admitted_ids(record.logged)
    return [
        p
        for p in sorted(record.participants, key=lambda p: (p.position, p.id or 0))
        if p.role in STAFF_ROLES or (p.role in PARTY_ROLES and p.id in admitted)
    ]
