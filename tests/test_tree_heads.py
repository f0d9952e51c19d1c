"""Signed tree heads over the event log prove it was only appended to."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from hearing_server.domain.chain import GENESIS_HASH, event_hash
from hearing_server.services.seal import load_or_create_seal
from hearing_server.services.tree_heads import prove_append_only, sign_tree_head, verify_tree_head
from hearing_server.store.models import HearingEvent

NOW = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)


def _log(kinds: list[str]) -> list[HearingEvent]:
    rows, prev = [], GENESIS_HASH
    for seq, kind in enumerate(kinds, start=1):
        digest = event_hash(
            hearing_id=3, seq=seq, at="t", actor="a", kind=kind, payload={}, prev_hash=prev
        )
        rows.append(
            HearingEvent(
                hearing_id=3,
                seq=seq,
                at="t",
                actor="a",
                kind=kind,
                payload="{}",
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    return rows


def test_heads_verify_and_prove_append_only(tmp_path: Path) -> None:
    seal = load_or_create_seal(tmp_path)
    log = _log([f"k{i}" for i in range(11)])
    early = sign_tree_head(seal, 3, log[:6], NOW)
    late = sign_tree_head(seal, 3, log, NOW)
    assert verify_tree_head(early, seal.public_pem, log) == []
    assert verify_tree_head(late, seal.public_pem, log) == []
    assert prove_append_only(early, late, log)


def test_rewritten_history_is_caught(tmp_path: Path) -> None:
    seal = load_or_create_seal(tmp_path)
    log = _log([f"k{i}" for i in range(11)])
    early = sign_tree_head(seal, 3, log[:6], NOW)
    forged = _log(["forged"] + [f"k{i}" for i in range(1, 11)])
    forged_head = sign_tree_head(seal, 3, forged, NOW)
    assert verify_tree_head(early, seal.public_pem, forged) == [
        "tree head of size 6: root does not match the log"
    ]
    assert not prove_append_only(early, forged_head, forged)


def test_a_head_not_signed_by_the_seal_fails(tmp_path: Path) -> None:
    seal = load_or_create_seal(tmp_path / "a")
    other = load_or_create_seal(tmp_path / "b")
    log = _log(["x", "y"])
    head = sign_tree_head(other, 3, log, NOW)
    assert "seal signature does not verify" in verify_tree_head(head, seal.public_pem, log)[0]
    tampered = dataclasses.replace(sign_tree_head(seal, 3, log, NOW), tree_size=1)
    assert len(verify_tree_head(tampered, seal.public_pem, log)) == 2
