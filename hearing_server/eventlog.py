"""The hearing event log: append-only, each row chained to the one before by SHA-256.

``hash = SHA-256(canonical_json({hearing_id, seq, at, actor, kind, payload, prev_hash}))``.
The hearing row keeps the count and the head hash, so deleting the last rows
is detected as well as editing or deleting rows in the middle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.canonical import canonical_json
from hearing_server.clock import iso_utc
from hearing_server.exceptions import NotFound
from hearing_server.models import Hearing, HearingEvent

GENESIS_HASH = "0" * 64


def event_hash(
    *, hearing_id: int, seq: int, at: str, actor: str, kind: str, payload: Any, prev_hash: str
) -> str:
    body = {
        "hearing_id": hearing_id,
        "seq": seq,
        "at": at,
        "actor": actor,
        "kind": kind,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(body)).hexdigest()


async def append_event(
    session: AsyncSession,
    hearing: Hearing,
    *,
    actor: str,
    kind: str,
    payload: Mapping[str, Any],
    at: datetime,
) -> HearingEvent:
    """Append one event inside the caller's write transaction and advance the head."""
    assert hearing.id is not None
    seq = hearing.event_count + 1
    stamp = iso_utc(at)
    payload_text = canonical_json(dict(payload)).decode("utf-8")
    digest = event_hash(
        hearing_id=hearing.id,
        seq=seq,
        at=stamp,
        actor=actor,
        kind=kind,
        payload=json.loads(payload_text),
        prev_hash=hearing.event_head_hash,
    )
    row = HearingEvent(
        hearing_id=hearing.id,
        seq=seq,
        at=stamp,
        actor=actor,
        kind=kind,
        payload=payload_text,
        prev_hash=hearing.event_head_hash,
        hash=digest,
    )
    session.add(row)
    hearing.event_count = seq
    hearing.event_head_hash = digest
    session.add(hearing)
    await session.flush()
    return row


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    row_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"event seq {self.seq} (row id {self.row_id})" if self.seq else "log"
        return f"{where}: {self.message}"


def verify_chain(
    events: Iterable[HearingEvent], *, hearing_id: int, expected_count: int, expected_head: str
) -> list[ChainProblem]:
    """Check every link; return the problems found (empty list = intact)."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS_HASH
    expected_seq = 1
    count = 0
    for row in sorted(events, key=lambda e: e.seq):
        count += 1
        if row.seq != expected_seq:
            problems.append(
                ChainProblem(row.seq, row.id, f"expected seq {expected_seq}: rows missing")
            )
        if row.prev_hash != prev_hash:
            problems.append(
                ChainProblem(row.seq, row.id, "prev_hash does not match the row before")
            )
        try:
            payload = json.loads(row.payload)
        except ValueError:
            problems.append(ChainProblem(row.seq, row.id, "payload is not valid JSON"))
            payload = row.payload
        recomputed = event_hash(
            hearing_id=hearing_id,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            kind=row.kind,
            payload=payload,
            prev_hash=row.prev_hash,
        )
        if recomputed != row.hash:
            problems.append(ChainProblem(row.seq, row.id, "content does not match its hash"))
        prev_hash = row.hash
        expected_seq = row.seq + 1
    if count != expected_count:
        problems.append(
            ChainProblem(
                None, None, f"log has {count} events, the hearing records {expected_count}"
            )
        )
    elif prev_hash != expected_head:
        problems.append(ChainProblem(None, None, "last event is not the recorded head"))
    return problems


async def load_events(session: AsyncSession, hearing_id: int) -> list[HearingEvent]:
    result = await session.exec(
        select(HearingEvent)
        .where(HearingEvent.hearing_id == hearing_id)
        .order_by(col(HearingEvent.seq))
    )
    return list(result.all())


async def first_event_at(session: AsyncSession, hearing_id: int, kind: str) -> str | None:
    """When the hearing's first event of this kind happened (its ``at``), if it did."""
    result = await session.exec(
        select(HearingEvent.at)
        .where(HearingEvent.hearing_id == hearing_id, HearingEvent.kind == kind)
        .order_by(col(HearingEvent.seq))
        .limit(1)
    )
    return result.first()


async def verify_hearing_log(session: AsyncSession, hearing_id: int) -> list[ChainProblem]:
    hearing = await session.get(Hearing, hearing_id)
    if hearing is None:
        raise NotFound(f"hearing {hearing_id} not found")
    events = await load_events(session, hearing_id)
    return verify_chain(
        events,
        hearing_id=hearing_id,
        expected_count=hearing.event_count,
        expected_head=hearing.event_head_hash,
    )


def event_to_json(row: HearingEvent) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "kind": row.kind,
        "payload": json.loads(row.payload),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }
