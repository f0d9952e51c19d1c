"""The live transcript: courtroom messages to ``Transcript`` acts, deltas to the log and clients.

Each hearing's courtroom holds one ``transcript.model.Transcript``. Every act yields one delta,
appended to the hearing's hash-chained event log as one event (kind = the delta's kind,
payload = ``delta.to_wire()``) and then sent as ``transcript_delta``; reopening a courtroom
replays those events, so a restart loses nothing. Called with the courtroom's lock held, so
log order, broadcast order and version order are the same.

Who receives the transcript: admitted participants and staff. The lobby does not (they may
still be denied, and their identity is not confirmed yet); on admission a participant gets the
snapshot with ``admitted`` and every delta after it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from hearing_server.domain.clock import iso_utc
from hearing_server.services.courtroom import Courtroom, CourtroomRegistry
from hearing_server.services.hearings import get_hearing
from hearing_server.services.transcript_store import rebuild_transcript, wire_snapshot
from hearing_server.store.eventlog import append_event, load_events
from hearing_server.store.models import HearingEvent, Participant
from signaling.protocol import messages as m
from signaling.protocol.exceptions import UnknownParticipant, WrongState
from transcript.deltas import TranscriptDelta
from transcript.exceptions import HistoryUnavailable, InvalidDelta
from transcript.model import Transcript
from transcript.records import Speaker
from transcript.roles import Actor, Permission, parse_role, require

log = logging.getLogger(__name__)
DEFAULT_STAGE = "identity_check"
# A client further behind than this gets a snapshot instead of the deltas it missed.
MAX_SYNC_DELTAS = 500
# Checked before the act, so a refused role learns nothing about which records exist.
_PERMISSIONS: dict[type[m.TranscriptMessage], tuple[Permission, str]] = {
    m.TranscriptAdd: (Permission.WRITE_ENTRIES, "add entries"),
    m.TranscriptEdit: (Permission.WRITE_ENTRIES, "edit entries"),
    m.TranscriptDelete: (Permission.WRITE_ENTRIES, "delete entries"),
    m.TranscriptCorrection: (Permission.REQUEST_CORRECTION, "file correction requests"),
    m.TranscriptRule: (Permission.RULE_ON_CORRECTION, "rule on correction requests"),
    m.TranscriptLock: (Permission.LOCK, "lock the transcript"),
    m.TranscriptUnlock: (Permission.UNLOCK, "unlock the transcript"),
    m.TranscriptSync: (Permission.READ, "read the transcript"),
}


def transcript_for(room: Courtroom, participant_id: int) -> dict[str, Any] | None:
    """The snapshot for ``join`` and ``admitted``; None for whoever waits in the lobby."""
    if not room.state.may_have_media(participant_id):
        return None
    return wire_snapshot(room.transcript)


async def handle(
    registry: CourtroomRegistry,
    room: Courtroom,
    me: int,
    actor: str,
    message: m.TranscriptMessage,
) -> dict[str, Any]:
    """One transcript message from participant ``me``; returns the ack's fields."""
    if not room.state.may_have_media(me):
        raise WrongState("wait until the judge admits you")
    transcript = room.transcript
    who = Actor(str(me), parse_role(room.state.member(me).role))
    require(who, *_PERMISSIONS[type(message)])
    if isinstance(message, m.TranscriptSync):
        return _sync(transcript, message.since_version)
    at = iso_utc(registry.clock.now())
    match message:
        case m.TranscriptAdd():
            stage = room.state.stage.value if room.state.stage else DEFAULT_STAGE
            speaker = await _speaker(registry, room, message.speaker_participant_id)
            offset = message.media_offset_ms
            if offset is None:
                now_ms = await timeline_ms(registry, room)
                offset = max(0, now_ms - (message.started_ms_ago or 0))
            delta = transcript.add_entry(
                who, speaker=speaker, text=message.text, stage=stage,
                media_offset_ms=offset, at=at,
            )  # fmt: skip
        case m.TranscriptEdit():
            delta = transcript.edit_entry(who, message.entry_id, text=message.text, at=at)
        case m.TranscriptDelete():
            delta = transcript.delete_entry(who, message.entry_id, reason=message.reason, at=at)
        case m.TranscriptCorrection():
            delta = transcript.file_correction(
                who, message.entry_id, proposed_text=message.proposed_text,
                reason=message.reason, at=at,
            )  # fmt: skip
        case m.TranscriptRule(accept=True):
            delta = transcript.accept_correction(
                who, message.correction_id, note=message.note, at=at
            )
        case m.TranscriptRule():
            delta = transcript.refuse_correction(
                who, message.correction_id, note=message.note or "", at=at
            )
        case m.TranscriptLock():
            delta = transcript.lock(who, at=at)
        case m.TranscriptUnlock():
            delta = transcript.unlock(who, reason=message.reason, at=at)
    await publish(registry, room, actor, delta)
    return {"version": delta.version, "delta": delta.to_wire()}


async def timeline_ms(registry: CourtroomRegistry, room: Courtroom) -> int:
    """Now on the hearing timeline: ms since the hearing's recording first started (the
    ``recording.started`` event), 0 before it ever started. Recesses and pauses do not stop
    the timeline, as they do not stop the recorder's clock."""
    if room.timeline_origin is None:
        async with registry.database.read() as session:
            rows = await session.exec(
                select(HearingEvent.at)
                .where(HearingEvent.hearing_id == room.hearing_id)
                .where(HearingEvent.kind == "recording.started")
                .order_by(col(HearingEvent.seq))
                .limit(1)
            )
            first = rows.first()
        if first is None:
            return 0
        room.timeline_origin = datetime.fromisoformat(first)
    elapsed = registry.clock.now() - room.timeline_origin
    return max(0, int(elapsed.total_seconds() * 1000))


def _sync(transcript: Transcript, since_version: int) -> dict[str, Any]:
    """The deltas after ``since_version``, or the snapshot when they cannot be given."""
    try:
        missed = transcript.deltas_since(since_version)
    except (HistoryUnavailable, InvalidDelta):
        missed = None  # before the history held, or ahead of the server: start over
    if missed is None or len(missed) > MAX_SYNC_DELTAS:
        return {"version": transcript.version, "snapshot": wire_snapshot(transcript)}
    return {"version": transcript.version, "deltas": [delta.to_wire() for delta in missed]}


async def _speaker(registry: CourtroomRegistry, room: Courtroom, participant_id: int) -> Speaker:
    """Name and role as the courtroom knows them, else from the hearing's participants."""
    member = room.state.members.get(participant_id)
    if member is not None:
        return Speaker(str(participant_id), member.name, parse_role(member.role))
    async with registry.database.read() as session:
        participant = await session.get(Participant, participant_id)
    if participant is None or participant.hearing_id != room.hearing_id:
        raise UnknownParticipant(f"participant {participant_id} is not in this hearing")
    return Speaker(str(participant_id), participant.display_name, parse_role(participant.role))


async def publish(
    registry: CourtroomRegistry, room: Courtroom, actor: str, delta: TranscriptDelta
) -> None:
    """Append the delta to the hearing log, then send it to the admitted and staff.

    The model applied the delta already; if logging fails, the transcript is rebuilt from the
    log, so the courtroom never holds a change the record does not."""
    try:
        async with registry.database.write() as session:
            hearing = await get_hearing(session, room.hearing_id, lock=True)
            await append_event(
                session, hearing, actor=actor, kind=delta.kind.value, payload=delta.to_wire(),
                at=registry.clock.now(),
            )  # fmt: skip
    except Exception:
        log.warning("hearing %s: transcript v%s not logged; rebuilding from the log",
                    room.hearing_id, delta.version)  # fmt: skip
        async with registry.database.read() as session:
            rows = await load_events(session, room.hearing_id)
        room.transcript = rebuild_transcript(
            room.hearing_id, [(row.kind, json.loads(row.payload)) for row in rows]
        )
        raise
    await registry.to_admitted(room, "transcript_delta", delta.to_wire())
