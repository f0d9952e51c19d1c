"""The hearing event log: append-only, each row chained to the one before by SHA-256.

``hash = SHA-256(canonical_json({hearing_id, seq, at, actor, kind, payload, prev_hash}))``.
The hearing row keeps the count and the head hash, so deleting the last rows
is detected as well as editing or deleting rows in the middle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.canonical import canonical_json
from hearing_server.domain.chain import ChainProblem, event_hash, verify_chain
from hearing_server.domain.clock import iso_utc
from hearing_server.domain.exceptions import NotFound
from hearing_server.store.models import Hearing, HearingEvent


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
