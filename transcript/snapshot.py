"""Snapshots: the whole replicated state at one version, for late joiners and reconnects.

A client given ``snapshot()`` at version ``n`` and then the deltas ``n + 1, n + 2, ...``
holds exactly the server's transcript. Unlike the canonical form, a snapshot also carries the
replication version and the signatures collected so far; entries are in id order.
"""

from __future__ import annotations

from dataclasses import dataclass

from transcript.exceptions import InvalidDelta
from transcript.records import CorrectionRequest, CorrectionStatus, Entry, Signature
from transcript.wire import JsonObject, as_object, read_int, read_list, read_str

SNAPSHOT_FORMAT = "hearing-transcript-snapshot/1"
STATES = ("drafting", "locked_for_review", "signed")


@dataclass(frozen=True)
class SnapshotContents:
    transcript_id: str
    hearing_id: str
    version: int
    state: str
    entries: list[Entry]
    corrections: list[CorrectionRequest]
    signatures: list[Signature]


def build_snapshot(contents: SnapshotContents) -> JsonObject:
    return {
        "format": SNAPSHOT_FORMAT,
        "transcript_id": contents.transcript_id,
        "hearing_id": contents.hearing_id,
        "version": contents.version,
        "state": contents.state,
        "entries": [entry.to_json() for entry in contents.entries],
        "corrections": [correction.to_json() for correction in contents.corrections],
        "signatures": [signature.to_json() for signature in contents.signatures],
    }


def parse_snapshot(value: object) -> SnapshotContents:
    """Read a snapshot strictly: ids in sequence, references resolved, signatures consistent."""
    obj = as_object(value, "snapshot")
    if obj.get("format") != SNAPSHOT_FORMAT:
        raise InvalidDelta(f"snapshot.format: expected {SNAPSHOT_FORMAT!r}")
    version = read_int(obj, "version", "snapshot")
    state = read_str(obj, "state", "snapshot")
    if version < 0 or state not in STATES:
        raise InvalidDelta("snapshot: bad version or state")
    entries = [
        Entry.from_json(item, f"snapshot.entries[{index}]")
        for index, item in enumerate(read_list(obj, "entries", "snapshot"))
    ]
    corrections = [
        CorrectionRequest.from_json(item, f"snapshot.corrections[{index}]")
        for index, item in enumerate(read_list(obj, "corrections", "snapshot"))
    ]
    signatures = [
        Signature.from_json(item, f"snapshot.signatures[{index}]")
        for index, item in enumerate(read_list(obj, "signatures", "snapshot"))
    ]
    if [e.entry_id for e in entries] != list(range(1, len(entries) + 1)):
        raise InvalidDelta("snapshot.entries: ids must run 1, 2, ... in order")
    if [c.correction_id for c in corrections] != list(range(1, len(corrections) + 1)):
        raise InvalidDelta("snapshot.corrections: ids must run 1, 2, ... in order")
    for correction in corrections:
        if not 1 <= correction.entry_id <= len(entries):
            raise InvalidDelta(f"snapshot: correction {correction.correction_id} names no entry")
    if len({s.signer_id for s in signatures}) != len(signatures):
        raise InvalidDelta("snapshot.signatures: a signer appears twice")
    pending = any(c.status is CorrectionStatus.PENDING for c in corrections)
    if signatures and (state == "drafting" or pending):
        raise InvalidDelta("snapshot: signatures held while drafting or with pending corrections")
    return SnapshotContents(
        transcript_id=read_str(obj, "transcript_id", "snapshot"),
        hearing_id=read_str(obj, "hearing_id", "snapshot"),
        version=version,
        state=state,
        entries=entries,
        corrections=corrections,
        signatures=signatures,
    )
