"""The hash chain detects edits, deletions and truncation (pure part)."""

from __future__ import annotations

import json
from typing import Any

from hearing_server.domain.chain import GENESIS_HASH, event_hash, verify_chain
from hearing_server.store.models import HearingEvent

AT = "2026-05-11T01:30:00.000Z"


def _chain(length: int) -> list[HearingEvent]:
    rows: list[HearingEvent] = []
    prev = GENESIS_HASH
    for seq in range(1, length + 1):
        payload = {"n": seq, "text": "法庭"}
        common: dict[str, Any] = {
            "hearing_id": 7,
            "seq": seq,
            "at": AT,
            "actor": "staff:judge",
            "kind": "test",
        }
        digest = event_hash(**common, payload=payload, prev_hash=prev)
        row = HearingEvent(**common, payload=json.dumps(payload), prev_hash=prev, hash=digest)
        row.id = 100 + seq
        rows.append(row)
        prev = digest
    return rows


def _verify(rows: list[HearingEvent], count: int, head: str) -> list[str]:
    problems = verify_chain(rows, hearing_id=7, expected_count=count, expected_head=head)
    return [str(p) for p in problems]


def test_intact_chain_verifies() -> None:
    rows = _chain(5)
    assert _verify(rows, 5, rows[-1].hash) == []


def test_edited_row_is_named() -> None:
    rows = _chain(5)
    rows[2].payload = json.dumps({"n": 3, "text": "改"})
    problems = _verify(rows, 5, rows[-1].hash)
    assert problems == ["event seq 3 (row id 103): content does not match its hash"]


def test_deleted_middle_row_is_detected() -> None:
    rows = _chain(5)
    del rows[1]
    problems = _verify(rows, 5, rows[-1].hash)
    assert any("seq 3" in p and "missing" in p for p in problems)
    assert any("prev_hash" in p for p in problems)


def test_truncated_log_is_detected() -> None:
    rows = _chain(5)
    head = rows[-1].hash
    problems = _verify(rows[:4], 5, head)
    assert problems == ["log: log has 4 events, the hearing records 5"]


def test_rewritten_chain_does_not_match_recorded_head() -> None:
    rows = _chain(5)
    head = rows[-1].hash
    rebuilt = _chain(5)
    rebuilt[-1].hash = "f" * 64
    assert _verify(rebuilt, 5, head)
