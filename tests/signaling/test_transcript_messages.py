"""Transcript messages at the edge and the transcript rebuilt from log events (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from hearing_server.services.transcript_store import rebuild_transcript, transcript_id_for
from signaling.protocol import messages as m
from signaling.protocol.exceptions import BadMessage
from transcript.deltas import TranscriptDelta
from transcript.model import Transcript
from transcript.records import Speaker
from transcript.roles import Actor, Role


def test_transcript_messages_parse_into_frozen_dataclasses() -> None:
    add = m.parse_message(
        "transcript_add", {"speaker_participant_id": 4, "text": "陈述", "media_offset_ms": 0}
    )
    assert add == m.TranscriptAdd(4, "陈述", 0)
    assert m.parse_message("transcript_rule", {"correction_id": 2, "accept": True}) == (
        m.TranscriptRule(2, True, None)
    )
    assert m.parse_message("transcript_lock", None) == m.TranscriptLock()
    assert m.parse_message("transcript_sync", {"since_version": 0}) == m.TranscriptSync(0)
    documented = {
        "transcript_add", "transcript_edit", "transcript_delete", "transcript_correction",
        "transcript_rule", "transcript_lock", "transcript_unlock", "transcript_sync",
    }  # fmt: skip
    assert documented == m.TRANSCRIPT_EVENTS
    assert m.TRANSCRIPT_EVENTS.isdisjoint(m.EVENTS)
    with pytest.raises(AttributeError):
        add.text = "改"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("transcript_add", {"speaker_participant_id": True, "text": "a", "media_offset_ms": 0}),
        ("transcript_add", {"speaker_participant_id": 1, "text": "  ", "media_offset_ms": 0}),
        ("transcript_add", {"speaker_participant_id": 1, "text": "a", "media_offset_ms": 1.5}),
        ("transcript_edit", {"entry_id": 0, "text": "a"}),
        ("transcript_edit", {"entry_id": 1, "text": "x" * 20_001}),
        ("transcript_correction", {"entry_id": 1, "proposed_text": "a", "reason": "r" * 4001}),
        ("transcript_rule", {"correction_id": 1, "accept": "yes"}),
        ("transcript_rule", {"correction_id": 1, "accept": False, "note": ""}),
        ("transcript_unlock", {}),
        ("transcript_sync", {"since_version": False}),
    ],
)
def test_bad_transcript_messages_raise_bad_message(event: str, data: dict[str, Any]) -> None:
    with pytest.raises(BadMessage):
        m.parse_message(event, data)


def test_rebuild_replays_only_transcript_events_in_order() -> None:
    live = Transcript(transcript_id_for(7), "7")
    clerk = Actor("2", Role.CLERK)
    speaker = Speaker("3", "张三", Role.PLAINTIFF)
    at = "2026-05-11T01:30:00.000Z"
    deltas = [
        live.add_entry(clerk, speaker=speaker, text="一", media_offset_ms=0, stage="debate", at=at),
        live.edit_entry(clerk, 1, text="一（改）", at=at),
        live.lock(clerk, at=at),
    ]
    logged: list[tuple[str, dict[str, Any]]] = [("participant.joined", {"participant_id": 2})]
    for delta in deltas:
        logged += [(delta.kind.value, delta.to_wire()), ("stage.changed", {"to": "debate"})]
    rebuilt = rebuild_transcript(7, logged)
    assert rebuilt.version == 3
    assert rebuilt.canonical_sha256() == live.canonical_sha256()
    assert rebuilt.deltas_since(0) == tuple(TranscriptDelta.from_wire(d.to_wire()) for d in deltas)
    assert rebuild_transcript(7, []).version == 0
