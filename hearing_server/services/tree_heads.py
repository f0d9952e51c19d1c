"""Signed tree heads: the event log as an RFC 9162 Merkle tree, its head signed by the seal.

Each leaf is the 32-byte hash of one event (the hash chain's link), so the tree commits to the
whole chain. A signed tree head (STH) is the seal's Ed25519 signature over the canonical JSON
``{"hearing_id", "tree_size", "root_hash", "timestamp"}``. Two STHs of one hearing plus a
consistency proof show that the later log only appended to the earlier one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hearing_server.domain.canonical import canonical_json
from hearing_server.domain.clock import iso_utc
from hearing_server.domain.merkle import (
    consistency_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
)
from hearing_server.services.seal import CourtSeal, verify_seal
from hearing_server.store.models import HearingEvent


@dataclass(frozen=True)
class SignedTreeHead:
    hearing_id: int
    tree_size: int
    root_hash: str
    timestamp: str
    signature: bytes

    def body(self) -> dict[str, Any]:
        return {
            "hearing_id": self.hearing_id,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "timestamp": self.timestamp,
        }

    def signed_bytes(self) -> bytes:
        return canonical_json(self.body())

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "signature": self.signature.hex()}


def event_leaves(events: Sequence[HearingEvent]) -> list[bytes]:
    """Leaf hashes in RFC 9162 form over each event's chain hash, in sequence order."""
    return [leaf_hash(bytes.fromhex(e.hash)) for e in sorted(events, key=lambda e: e.seq)]


def sign_tree_head(
    seal: CourtSeal, hearing_id: int, events: Sequence[HearingEvent], now: datetime
) -> SignedTreeHead:
    leaves = event_leaves(events)
    unsigned = SignedTreeHead(
        hearing_id=hearing_id,
        tree_size=len(leaves),
        root_hash=root_from_leaf_hashes(leaves).hex(),
        timestamp=iso_utc(now),
        signature=b"",
    )
    return dataclasses.replace(unsigned, signature=seal.sign(unsigned.signed_bytes()))


def verify_tree_head(
    head: SignedTreeHead, public_pem: bytes, events: Sequence[HearingEvent]
) -> list[str]:
    """Check the head's signature, and that the first ``tree_size`` events give its root."""
    problems: list[str] = []
    if not verify_seal(public_pem, head.signature, head.signed_bytes()):
        problems.append(f"tree head of size {head.tree_size}: seal signature does not verify")
    leaves = event_leaves(events)
    if head.tree_size > len(leaves):
        problems.append(f"tree head of size {head.tree_size}: the log has only {len(leaves)}")
    elif root_from_leaf_hashes(leaves[: head.tree_size]).hex() != head.root_hash:
        problems.append(f"tree head of size {head.tree_size}: root does not match the log")
    return problems


def prove_append_only(
    older: SignedTreeHead, newer: SignedTreeHead, events: Sequence[HearingEvent]
) -> bool:
    """True when ``newer``'s log extends ``older``'s without rewriting it."""
    leaves = event_leaves(events)[: newer.tree_size]
    if older.tree_size == 0:
        return True
    proof = consistency_proof(leaves, older.tree_size)
    return verify_consistency(
        older.tree_size,
        newer.tree_size,
        bytes.fromhex(older.root_hash),
        bytes.fromhex(newer.root_hash),
        proof,
    )
