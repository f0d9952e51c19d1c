"""The bundle's event log, checked offline: every event's hash and the chain between them, the
log's size and head against manifest.json, and the court seal's signed tree heads over it."""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hearing_server.domain.canonical import CanonicalJSONError, canonical_json
from hearing_server.domain.chain import GENESIS_HASH, event_hash
from hearing_server.domain.merkle import leaf_hash, root_from_leaf_hashes
from transcript.verify_report import Report, read_json

MAX_CHAIN_PROBLEMS = 5  # past this many broken events, the rest of the log is not reported


def check_event_log(
    report: Report, raw: bytes, *, hearing_id: Any, size: Any, head_hash: Any
) -> list[dict[str, Any]]:
    """The events of ``events.jsonl`` (none if a line is not JSON), each failure reported."""
    try:
        events: list[dict[str, Any]] = [
            read_json(line) for line in raw.splitlines() if line.strip()
        ]
    except (ValueError, UnicodeDecodeError, RecursionError):
        report.fail("events.jsonl", "a line is not JSON")
        return []
    if not all(isinstance(event, dict) for event in events):
        report.fail("events.jsonl", "a line is not an event (a JSON object)")
        return []
    previous, problems = GENESIS_HASH, 0
    for index, event in enumerate(events, start=1):
        try:
            recomputed = event_hash(
                hearing_id=hearing_id, seq=event["seq"], at=event["at"],
                actor=event["actor"], kind=event["kind"], payload=event["payload"],
                prev_hash=event["prev_hash"],
            )  # fmt: skip
        except (KeyError, TypeError, ValueError, CanonicalJSONError):
            report.fail("events.jsonl", f"line {index}: not an event")
            return events
        if event["seq"] != index:
            report.fail("events.jsonl", f"event {index}: seq {event['seq']} (removed?)")
            problems += 1
        if event["prev_hash"] != previous:
            report.fail("events.jsonl", f"event seq {event['seq']}: chain broken")
            problems += 1
        if recomputed != event.get("hash"):
            report.fail("events.jsonl", f"event seq {event['seq']}: hash mismatch")
            problems += 1
        previous = str(event.get("hash"))
        if problems > MAX_CHAIN_PROBLEMS:
            break
    if len(events) != size or previous != head_hash:
        report.fail("events.jsonl", "log size or head differs from manifest.json")
        problems += 1
    if not problems:
        report.ok(f"events.jsonl: {len(events)} events, hash chain intact")
    return events


def check_tree_heads(
    report: Report,
    raw: bytes,
    events: list[dict[str, Any]],
    seal_key: Ed25519PublicKey,
    *,
    hearing_id: Any,
) -> None:
    """Each signed tree head in ``tree_heads.json``: sealed, of this log, over its first events."""
    try:
        leaves = [leaf_hash(bytes.fromhex(str(e.get("hash", "")))) for e in events]
    except ValueError:
        report.fail("events.jsonl", "an event's hash is not hex")
        return
    try:
        heads = read_json(raw)["tree_heads"]
        if not isinstance(heads, list) or not all(isinstance(h, dict) for h in heads):
            raise TypeError("not a list of objects")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        report.fail("tree_heads.json", "unreadable")
        return
    bad = 0
    for head in heads:
        size = head.get("tree_size")
        body = {k: head.get(k) for k in ("hearing_id", "tree_size", "root_hash", "timestamp")}
        try:
            seal_key.verify(bytes.fromhex(str(head.get("signature", ""))), canonical_json(body))
        except (InvalidSignature, ValueError):
            report.fail("tree_heads.json", f"tree head {size}: seal does not verify")
            bad += 1
        if head.get("hearing_id") != hearing_id or not isinstance(size, int) or size > len(leaves):
            report.fail("tree_heads.json", f"tree head {size}: not of this log")
            bad += 1
        elif root_from_leaf_hashes(leaves[:size]).hex() != head.get("root_hash"):
            report.fail("events.jsonl", f"Merkle root of the first {size} events differs"
                        " from the signed tree head")  # fmt: skip
            bad += 1
    if not bad:
        report.ok(f"{len(heads)} signed tree heads match the event log")
