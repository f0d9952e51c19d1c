"""Who has decided on the locked transcript, and what the signing panels show.

A decision holds while it was made on the current lock and, for a signature, while the
transcript still holds it (a correction filed or a refusal while locked invalidates it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.canonical import canonical_sha256
from hearing_server.domain.clock import iso_utc
from hearing_server.services.hearing_record import (
    HearingRecord,
    last_lock_seq,
    load_record,
    required_signers,
)
from hearing_server.services.signer_keys import waiting_keys
from hearing_server.store.models import Participant
from hearing_server.store.signing_models import SigningRecord
from transcript.model import Transcript
from transcript.replica import TranscriptState


@dataclass(frozen=True)
class SignerStatus:
    participant: Participant
    status: str  # pending | signed | refused
    record: SigningRecord | None

    def to_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "participant_id": self.participant.id,
            "name": self.participant.display_name,
            "role": self.participant.role,
            "status": self.status,
            "at": iso_utc(record.decided_at) if record else None,
            "reason": record.reason if record and record.decision == "refused" else None,
            "key_fingerprint": record.key_fingerprint if record else None,
            "manifest_sha256": record.manifest_sha256 if record and record.manifest else None,
        }


async def current_records(
    session: AsyncSession, record: HearingRecord, transcript: Transcript
) -> dict[int, SigningRecord]:
    """Decisions that still hold: made on the current lock, signatures the transcript holds."""
    if transcript.state is TranscriptState.DRAFTING:
        return {}
    lock_seq = last_lock_seq(record.events)
    held = {s.signer_id: s.manifest_hash for s in transcript.signatures}
    rows = (
        await session.exec(
            select(SigningRecord)
            .where(SigningRecord.hearing_id == record.hearing.id,
                   SigningRecord.lock_seq == lock_seq)
            .order_by(col(SigningRecord.id))
        )
    ).all()  # fmt: skip
    valid: dict[int, SigningRecord] = {}
    for row in rows:
        if row.decision == "signed" and held.get(str(row.participant_id)) != row.manifest_sha256:
            continue  # invalidated (a correction filed or refused while locked)
        if row.decision == "refused" and row.transcript_sha256 != signed_hash(transcript):
            continue
        valid[row.participant_id] = row
    return valid


def signed_hash(transcript: Transcript) -> str:
    """The hash signers sign: the record as locked for review (also once finalised)."""
    content = {**transcript.to_canonical(), "state": TranscriptState.LOCKED_FOR_REVIEW.value}
    return canonical_sha256(content)


def signing_statuses(
    record: HearingRecord, decided: dict[int, SigningRecord]
) -> list[SignerStatus]:
    statuses = []
    for participant in required_signers(record):
        row = decided.get(participant.id or 0)
        status = "pending" if row is None else row.decision
        statuses.append(SignerStatus(participant, status, row))
    return statuses


async def signing_status(
    session: AsyncSession,
    transcript: Transcript,
    hearing_id: int,
    me: Participant | None,
    *,
    data_dir: Path,
) -> dict[str, Any]:
    """The ``signing`` status as ``GET .../signing`` returns it (``you``: the caller's id).

    Read in the caller's session: inside an act's transaction it includes the act's rows."""
    record = await load_record(session, hearing_id, data_dir)
    decided = await current_records(session, record, transcript)
    waiting = await waiting_keys(session, hearing_id)
    statuses = signing_statuses(record, decided)
    locked = transcript.state is not TranscriptState.DRAFTING
    return {
        "hearing_id": hearing_id,
        "transcript_state": transcript.state.value,
        "transcript_sha256": signed_hash(transcript) if locked else None,
        "signers": [
            {**s.to_json(), "waiting_key": waiting.get(s.participant.id or 0)} for s in statuses
        ],
        "complete": locked and all(s.status != "pending" for s in statuses),
        "you": None if me is None else me.id,
    }
