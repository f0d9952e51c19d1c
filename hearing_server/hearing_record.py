"""Everything a hearing left on record, read back for signing and for the export bundle.

The event log is the source: the transcript is rebuilt from its ``transcript.*`` events and
the recording segments are the ``recording.segment_closed`` / ``segment_recovered`` events
(their files under ``<data>/recordings/<hearing id>/``), so what gets signed is exactly what
the hash chain holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.eventlog import load_events
from hearing_server.hearings import get_hearing
from hearing_server.models import Hearing, HearingEvent, Participant
from hearing_server.participants import list_participants
from transcript.manifest import SegmentRef

SEGMENT_EVENTS = frozenset({"recording.segment_closed", "recording.segment_recovered"})
PARTY_SIGNING_ROLES = frozenset({"plaintiff", "defendant", "agent", "witness", "interpreter"})
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


def recordings_dir(data_dir: Path, hearing_id: int) -> Path:
    return data_dir / "recordings" / str(hearing_id)


def segments_from_log(events: Iterable[HearingEvent], directory: Path) -> list[SegmentFile]:
    """Every segment the log records, in timeline order; bundle paths under ``recording/``."""
    found: dict[str, SegmentFile] = {}
    for row in events:
        if row.kind not in SEGMENT_EVENTS:
            continue
        payload = json.loads(row.payload)
        name = str(payload["file"])
        if "/" in name or name.startswith("."):
            continue  # never happens for files the recorder named; never leave the folder
        ref = SegmentRef(
            start_ms=int(payload["timeline_start_ms"]),
            end_ms=int(payload["timeline_end_ms"]),
            path=f"recording/{name}",
            sha256=str(payload["sha256"]),
            size_bytes=int(payload["size_bytes"]),
            participant_id=str(payload["participant_id"]),
            kind=str(payload["kind"]),
        )
        found[name] = SegmentFile(ref, directory / name)
    return sorted(found.values(), key=lambda s: s.ref)


async def load_record(session: AsyncSession, hearing_id: int, data_dir: Path) -> HearingRecord:
    hearing = await get_hearing(session, hearing_id)
    events = await load_events(session, hearing_id)
    return HearingRecord(
        hearing=hearing,
        participants=await list_participants(session, hearing_id),
        events=events,
        segments=segments_from_log(events, recordings_dir(data_dir, hearing_id)),
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
        if p.role in {"judge", "clerk"} or (p.role in PARTY_SIGNING_ROLES and p.id in admitted)
    ]
