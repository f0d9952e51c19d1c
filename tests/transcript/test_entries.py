"""Entries: versions keep every text, deletion is a tombstone, input is validated."""

from __future__ import annotations

import pytest

from tests.transcript.builders import CLERK, JUDGE, JUDGE_SPEAKER, PLAINTIFF_SPEAKER, at
from transcript.deltas import DeltaKind
from transcript.exceptions import IllegalOperation, InvalidInput, UnknownRecord
from transcript.model import Transcript
from transcript.records import VersionCause


def new_transcript() -> Transcript:
    return Transcript("tr-e", "hearing-e")


def add(transcript: Transcript, text: str = "现在开庭。", offset: int = 0) -> int:
    delta = transcript.add_entry(
        CLERK,
        speaker=JUDGE_SPEAKER,
        text=text,
        media_offset_ms=offset,
        stage="investigation",
        at=at(0),
    )
    entry_id = delta.payload["entry_id"]
    assert isinstance(entry_id, int)
    return entry_id


def test_add_entry_returns_a_delta_and_bumps_the_version() -> None:
    transcript = new_transcript()
    delta = transcript.add_entry(
        CLERK,
        speaker=PLAINTIFF_SPEAKER,
        text="我请求被告支付货款。",
        media_offset_ms=61_500,
        stage="investigation",
        at="2025-03-01T09:01:00+00:00",
    )
    assert (delta.kind, delta.version, transcript.version) == (DeltaKind.ENTRY_ADDED, 1, 1)
    assert delta.payload["actor"] == {"id": CLERK.actor_id, "role": "clerk"}
    entry = transcript.entry(1)
    assert entry.text == "我请求被告支付货款。"
    assert entry.speaker == PLAINTIFF_SPEAKER
    assert entry.author_id == CLERK.actor_id
    assert entry.created_at == "2025-03-01T09:01:00.000Z"
    assert entry.edited_at is None


def test_edits_keep_every_version_with_editor_and_time() -> None:
    transcript = new_transcript()
    entry_id = add(transcript, "first")
    transcript.edit_entry(CLERK, entry_id, text="second", at=at(1))
    delta = transcript.edit_entry(JUDGE, entry_id, text="third", at=1_740_819_720_123)
    assert delta.payload["entry_version"] == 3
    entry = transcript.entry(entry_id)
    assert [v.text for v in entry.versions] == ["first", "second", "third"]
    assert [v.editor_id for v in entry.versions] == [CLERK.actor_id, CLERK.actor_id, JUDGE.actor_id]
    assert [v.cause for v in entry.versions] == [VersionCause.CREATED, VersionCause.EDITED] * 1 + [
        VersionCause.EDITED
    ]
    assert entry.text == "third"
    assert entry.edited_at == "2025-03-01T09:02:00.123Z"
    assert transcript.version == 3


def test_an_edit_to_the_same_text_is_refused() -> None:
    transcript = new_transcript()
    entry_id = add(transcript, "same")
    with pytest.raises(IllegalOperation, match="already has this text"):
        transcript.edit_entry(CLERK, entry_id, text="same", at=at(1))
    assert transcript.version == 1


def test_deletion_is_a_tombstone_that_keeps_the_text() -> None:
    transcript = new_transcript()
    entry_id = add(transcript, "说错了")
    add(transcript, "kept", offset=10)
    transcript.delete_entry(CLERK, entry_id, reason="记错", at=at(2))
    entry = transcript.entry(entry_id)
    assert entry.is_deleted and entry.text == "说错了"
    assert entry.tombstone is not None
    assert (entry.tombstone.deleted_by, entry.tombstone.reason) == (CLERK.actor_id, "记错")
    assert [e.entry_id for e in transcript.entries(include_deleted=False)] == [2]
    canonical_entry = transcript.to_canonical()["entries"][0]  # type: ignore[index]
    assert canonical_entry["deleted"] == {"by": CLERK.actor_id, "at": at(2), "reason": "记错"}  # type: ignore[index,call-overload]
    with pytest.raises(IllegalOperation, match="is deleted"):
        transcript.edit_entry(CLERK, entry_id, text="revived", at=at(3))
    with pytest.raises(IllegalOperation, match="is deleted"):
        transcript.delete_entry(CLERK, entry_id, reason="again", at=at(3))


def test_entries_are_ordered_on_the_timeline_then_by_writing_order() -> None:
    transcript = new_transcript()
    add(transcript, "b", offset=5_000)
    add(transcript, "a", offset=1_000)
    add(transcript, "c", offset=5_000)
    assert [e.text for e in transcript.entries()] == ["a", "b", "c"]


def test_unknown_entry() -> None:
    with pytest.raises(UnknownRecord):
        new_transcript().edit_entry(CLERK, 7, text="x", at=at(0))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("text", "   ", "must not be empty"),
        ("text", "bell\x07", "control characters"),
        ("text", "x" * 20_001, "longer than"),
        ("media_offset_ms", -1, "outside"),
        ("media_offset_ms", 1.5, "expected an integer"),
        ("stage", "Debate!", "snake_case"),
        ("at", "2025-03-01T09:00:00", "must be UTC"),
        ("at", "2025-03-01T17:00:00+08:00", "must be UTC"),
        ("at", "yesterday", "not ISO-8601"),
        ("at", True, "ISO-8601"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(field: str, value: object, message: str) -> None:
    transcript = new_transcript()
    arguments: dict[str, object] = {
        "speaker": JUDGE_SPEAKER,
        "text": "ok",
        "media_offset_ms": 0,
        "stage": "debate",
        "at": at(0),
    }
    arguments[field] = value
    with pytest.raises(InvalidInput, match=message):
        transcript.add_entry(CLERK, **arguments)  # type: ignore[arg-type]
    assert transcript.version == 0
    assert transcript.entries() == []


def test_line_breaks_are_unified() -> None:
    transcript = new_transcript()
    entry_id = add(transcript, "一\r\n二\rthree")
    assert transcript.entry(entry_id).text == "一\n二\nthree"
