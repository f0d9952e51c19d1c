"""The hearing event log's hash chain, pure: how an event is hashed and how a chain is checked.

``hash = SHA-256(canonical_json({hearing_id, seq, at, actor, kind, payload, prev_hash}))``.
The hearing row keeps the count and the head hash, so deleting the last rows
is detected as well as editing or deleting rows in the middle. The store appends
(``store.eventlog``); the offline verifier checks a bundle's log with the same code and no database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from hearing_server.domain.canonical import canonical_json

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


class ChainRow(Protocol):
    """One logged event as stored: a database row, or an entry read from a bundle."""

    @property
    def id(self) -> int | None: ...
    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    row_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"event seq {self.seq} (row id {self.row_id})" if self.seq else "log"
        return f"{where}: {self.message}"


def verify_chain(
    events: Iterable[ChainRow], *, hearing_id: int, expected_count: int, expected_head: str
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
