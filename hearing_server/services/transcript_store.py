"""The hearing's transcript as its event log holds it: rebuilt by replaying ``transcript.*``
events, for a courtroom (entries pre-encoded for the wire), an export or signing."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson
from sqlmodel import col, select

from hearing_server.services.hearings import get_hearing
from hearing_server.store.db import Database
from hearing_server.store.models import HearingEvent
from transcript.deltas import DeltaKind, TranscriptDelta
from transcript.model import Transcript

_KINDS = frozenset(kind.value for kind in DeltaKind)
LoggedEvent = tuple[str, dict[str, Any]]


def transcript_id_for(hearing_id: int) -> str:
    return f"hearing-{hearing_id}-transcript"


def new_transcript(hearing_id: int) -> Transcript:
    return Transcript(transcript_id_for(hearing_id), str(hearing_id))


def rebuild_transcript(
    hearing_id: int, events: Iterable[LoggedEvent], *, for_courtroom: bool = True
) -> Transcript:
    """The hearing's transcript from its event log: every ``transcript.*`` event replayed.

    For a courtroom, each entry is also encoded for the wire now, not for the first joiner."""
    deltas = (TranscriptDelta.from_wire(payload) for kind, payload in events if kind in _KINDS)
    transcript = Transcript.replay(transcript_id_for(hearing_id), str(hearing_id), deltas)
    if for_courtroom:
        wire_snapshot(transcript)
    return transcript


async def load_transcript(database: Database, hearing_id: int) -> Transcript:
    """The hearing's current transcript, rebuilt from its ``transcript.*`` log events.

    For exports, the subtitle track and signing: the log is the record, and the live
    courtroom's copy equals it (every change is logged before anyone sees it). Raises
    ``hearing_server.domain.exceptions.NotFound`` for an unknown hearing."""
    async with database.read() as session:
        await get_hearing(session, hearing_id)
        rows = await session.exec(
            select(HearingEvent.kind, HearingEvent.payload)
            .where(HearingEvent.hearing_id == hearing_id)
            .where(col(HearingEvent.kind).startswith("transcript."))
            .order_by(col(HearingEvent.seq))
        )
        logged = [(kind, json.loads(payload)) for kind, payload in rows.all()]
    return rebuild_transcript(hearing_id, logged, for_courtroom=False)


def wire_snapshot(transcript: Transcript) -> dict[str, Any]:
    """``transcript.snapshot()`` for Socket.IO: the entries spliced in as pre-encoded JSON.

    A long hearing's snapshot is megabytes; python-socketio walks every value of a payload
    looking for binary data before encoding it, so the entries (each encoded once, see
    ``Entry.json_text``) travel as one ``orjson.Fragment`` (``signaling.wire_json``)."""
    entries = sorted(transcript.entries(), key=lambda entry: entry.entry_id)
    spliced = orjson.Fragment("[" + ",".join(entry.json_text for entry in entries) + "]")
    return {**transcript.snapshot(), "entries": spliced}
