"""Snapshot + deltas reproduce the server's transcript; deltas since N are exactly those missed."""

from __future__ import annotations

import json

import pytest

from tests.transcript.builders import (
    CLERK,
    JUDGE,
    PLAINTIFF,
    PLAINTIFF_SPEAKER,
    at,
    sample_transcript,
)
from transcript.deltas import TranscriptDelta
from transcript.exceptions import HistoryUnavailable, InvalidDelta, NotPermitted
from transcript.model import Transcript
from transcript.replica import TranscriptReplica


def over_the_wire(delta: TranscriptDelta) -> TranscriptDelta:
    return TranscriptDelta.from_wire(json.loads(json.dumps(delta.to_wire(), ensure_ascii=False)))


def more_acts(transcript: Transcript) -> list[TranscriptDelta]:
    deltas = [
        transcript.add_entry(
            CLERK,
            speaker=PLAINTIFF_SPEAKER,
            text="辩论意见：被告应当付款。",
            media_offset_ms=900_000,
            stage="debate",
            at=at(15),
        ),
        transcript.file_correction(
            PLAINTIFF, 5, proposed_text="被告应付款。", reason="简化", at=at(16)
        ),
        transcript.lock(CLERK, at=at(17)),
        transcript.refuse_correction(JUDGE, 3, note="不予更正", at=at(18)),
        transcript.add_signature(JUDGE, manifest_hash="f" * 64, at=at(19)),
        transcript.unlock(JUDGE, reason="补充", at=at(20)),
        transcript.edit_entry(CLERK, 5, text="辩论意见：被告应当立即付款。", at=at(21)),
        transcript.lock(CLERK, at=at(22)),
        transcript.add_signature(PLAINTIFF, manifest_hash="e" * 64, at=at(23)),
        transcript.finalise(CLERK, at=at(24)),
    ]
    return deltas


def test_late_joiner_snapshot_then_deltas_matches_the_server() -> None:
    server = sample_transcript()
    snapshot = json.loads(json.dumps(server.snapshot(), ensure_ascii=False))
    client = TranscriptReplica.from_snapshot(snapshot)
    assert client.version == server.version == 10
    assert client.canonical_bytes() == server.canonical_bytes()
    hashes_after_each = []
    shadow = TranscriptReplica.from_snapshot(snapshot)
    for delta in more_acts(server):
        shadow.apply(delta)
        hashes_after_each.append(shadow.canonical_sha256())
    for delta, expected in zip(server.deltas_since(10), hashes_after_each, strict=True):
        client.apply(over_the_wire(delta))
        assert client.canonical_sha256() == expected
    assert client.version == server.version == 20
    assert client.canonical_bytes() == server.canonical_bytes()
    assert client.snapshot() == server.snapshot()
    assert client.state.value == "signed"


def test_replay_of_the_event_log_rebuilds_the_transcript() -> None:
    server = sample_transcript()
    more_acts(server)
    log = [over_the_wire(d) for d in server.deltas_since(0)]
    rebuilt = Transcript.replay("tr-1", "hearing-1", log)
    assert rebuilt.canonical_bytes() == server.canonical_bytes()
    assert rebuilt.snapshot() == server.snapshot()


def test_deltas_since_gives_exactly_the_missed_changes() -> None:
    server = sample_transcript()
    client = TranscriptReplica.from_snapshot(server.snapshot())
    new = more_acts(server)
    # The client was at version 10; it missed 11..20 while disconnected.
    missed = server.deltas_since(client.version)
    assert [d.version for d in missed] == list(range(11, 21))
    assert list(missed) == new
    for delta in missed:
        client.apply(delta)
    assert client.canonical_sha256() == server.canonical_sha256()
    assert server.deltas_since(server.version) == ()
    with pytest.raises(InvalidDelta, match="outside"):
        server.deltas_since(21)


def test_a_replica_from_a_snapshot_cannot_serve_older_history() -> None:
    client = TranscriptReplica.from_snapshot(sample_transcript().snapshot())
    assert client.deltas_since(10) == ()
    with pytest.raises(HistoryUnavailable, match="fetch a snapshot"):
        client.deltas_since(3)


def test_gaps_duplicates_and_foreign_deltas_are_refused() -> None:
    server = sample_transcript()
    client = TranscriptReplica.from_snapshot(server.snapshot())
    first, second = more_acts(server)[:2]
    with pytest.raises(InvalidDelta, match="expected the delta for version 11, got 12"):
        client.apply(second)
    client.apply(first)
    with pytest.raises(InvalidDelta, match="expected the delta for version 12, got 11"):
        client.apply(first)
    foreign = TranscriptDelta("tr-other", 12, second.kind, second.payload)
    with pytest.raises(InvalidDelta, match="tr-other"):
        client.apply(foreign)


def test_forged_deltas_are_checked_against_the_rules() -> None:
    server = sample_transcript()
    client = TranscriptReplica.from_snapshot(server.snapshot())
    delta = server.edit_entry(CLERK, 1, text="改过", at=at(20))
    forged = TranscriptDelta(
        delta.transcript_id,
        delta.version,
        delta.kind,
        {**delta.payload, "actor": {"id": "x", "role": "observer"}},
    )
    with pytest.raises(NotPermitted):
        client.apply(forged)
    diverged = TranscriptDelta(
        delta.transcript_id, 11, delta.kind, {**delta.payload, "entry_version": 5}
    )
    with pytest.raises(InvalidDelta, match="out of sequence"):
        client.apply(diverged)
    client.apply(delta)
    lock = server.lock(CLERK, at=at(21))
    wrong_hash = TranscriptDelta(
        lock.transcript_id, 12, lock.kind, {**lock.payload, "content_sha256": "0" * 64}
    )
    with pytest.raises(InvalidDelta, match="hash differs"):
        client.apply(wrong_hash)
    client.apply(lock)
    assert client.canonical_sha256() == server.canonical_sha256()


@pytest.mark.parametrize(
    "wire",
    [
        {"transcript_id": "tr-1", "version": 1, "kind": "transcript.nope", "payload": {}},
        {"transcript_id": "tr-1", "version": 0, "kind": "transcript.locked", "payload": {}},
        {"transcript_id": "tr-1", "version": "1", "kind": "transcript.locked", "payload": {}},
        {"transcript_id": "tr-1", "version": 1, "kind": "transcript.locked", "payload": []},
        [],
    ],
)
def test_malformed_wire_deltas(wire: object) -> None:
    with pytest.raises(InvalidDelta):
        TranscriptDelta.from_wire(wire)


def test_malformed_payload_fields_are_refused_without_change() -> None:
    client = Transcript("tr-1", "hearing-1")
    bad = TranscriptDelta.from_wire(
        {
            "transcript_id": "tr-1",
            "version": 1,
            "kind": "transcript.entry_added",
            "payload": {"actor": {"id": "c", "role": "clerk"}, "entry_id": 1, "text": 5},
        }
    )
    with pytest.raises(InvalidDelta):
        client.apply(bad)
    assert client.version == 0 and client.entries() == []


def test_tampered_snapshots_are_refused() -> None:
    snapshot = sample_transcript().snapshot()
    entries = snapshot["entries"]
    assert isinstance(entries, list)
    for tamper in (
        {"format": "other"},
        {"entries": list(reversed(entries))},
        {"state": "frozen"},
        {"signatures": [{"signer_id": "x", "manifest_hash": "h", "signed_at": at(1)}]},
    ):
        with pytest.raises(InvalidDelta):
            TranscriptReplica.from_snapshot({**snapshot, **tamper})
