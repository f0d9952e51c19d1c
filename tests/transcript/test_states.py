"""drafting → locked_for_review → signed; unlock invalidates signatures; corrections when locked."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.transcript.builders import (
    CLERK,
    DEFENDANT,
    JUDGE,
    JUDGE_SPEAKER,
    PLAINTIFF,
    at,
    sample_transcript,
)
from transcript.exceptions import IllegalOperation, IllegalState
from transcript.model import Transcript
from transcript.replica import TranscriptState

HASH_A = "a" * 64
HASH_B = "b" * 64


def locked() -> Transcript:
    transcript = sample_transcript()
    transcript.lock(CLERK, at=at(10))
    return transcript


def test_lock_carries_the_hash_of_the_locked_record() -> None:
    transcript = sample_transcript()
    delta = transcript.lock(CLERK, at=at(10))
    assert transcript.state is TranscriptState.LOCKED_FOR_REVIEW
    assert delta.payload["content_sha256"] == transcript.canonical_sha256()


def test_no_entries_or_edits_while_locked() -> None:
    transcript = locked()
    with pytest.raises(IllegalState, match="locked for review; a judge must unlock it first"):
        transcript.add_entry(
            CLERK, speaker=JUDGE_SPEAKER, text="x", media_offset_ms=0, stage="closing", at=at(11)
        )
    with pytest.raises(IllegalState, match="cannot edit an entry"):
        transcript.edit_entry(CLERK, 1, text="x", at=at(11))
    with pytest.raises(IllegalState, match="cannot delete an entry"):
        transcript.delete_entry(CLERK, 1, reason="x", at=at(11))
    with pytest.raises(IllegalState, match="cannot lock"):
        transcript.lock(JUDGE, at=at(11))


def test_signatures_are_collected_once_each_and_finalise_signs() -> None:
    transcript = locked()
    transcript.add_signature(JUDGE, manifest_hash=HASH_A, at=at(11))
    with pytest.raises(IllegalOperation, match="already signed"):
        transcript.add_signature(JUDGE, manifest_hash=HASH_A, at=at(12))
    transcript.add_signature(PLAINTIFF, manifest_hash=HASH_A, at=at(12))
    assert [s.signer_id for s in transcript.signatures] == [JUDGE.actor_id, PLAINTIFF.actor_id]
    transcript.finalise(CLERK, at=at(13))
    assert transcript.state is TranscriptState.SIGNED
    acts: list[Callable[[], object]] = [
        lambda: transcript.edit_entry(CLERK, 1, text="x", at=at(14)),
        lambda: transcript.unlock(JUDGE, reason="x", at=at(14)),
        lambda: transcript.file_correction(PLAINTIFF, 1, proposed_text="x", reason="r", at=at(14)),
        lambda: transcript.add_signature(DEFENDANT, manifest_hash=HASH_A, at=at(14)),
    ]
    for act in acts:
        with pytest.raises(IllegalState, match="signed and can no longer change"):
            act()


def test_no_signing_while_drafting_and_no_finalising_without_signatures() -> None:
    transcript = sample_transcript()
    with pytest.raises(IllegalState, match="cannot sign"):
        transcript.add_signature(JUDGE, manifest_hash=HASH_A, at=at(11))
    transcript.lock(CLERK, at=at(11))
    with pytest.raises(IllegalState, match="nobody has signed"):
        transcript.finalise(CLERK, at=at(12))


def test_unlock_invalidates_and_returns_the_signatures_collected() -> None:
    transcript = locked()
    transcript.add_signature(JUDGE, manifest_hash=HASH_A, at=at(11))
    transcript.add_signature(DEFENDANT, manifest_hash=HASH_B, at=at(12))
    delta = transcript.unlock(JUDGE, reason="更正笔录", at=at(13))
    assert delta.payload["invalidated_signatures"] == [
        {"signer_id": JUDGE.actor_id, "manifest_hash": HASH_A, "signed_at": at(11)},
        {"signer_id": DEFENDANT.actor_id, "manifest_hash": HASH_B, "signed_at": at(12)},
    ]
    assert transcript.signatures == ()
    assert transcript.state is TranscriptState.DRAFTING
    transcript.edit_entry(CLERK, 1, text="现在开庭。", at=at(14))


def test_unlock_only_from_locked() -> None:
    with pytest.raises(IllegalState, match="cannot unlock"):
        sample_transcript().unlock(JUDGE, reason="x", at=at(11))


def test_correction_while_locked_filed_and_refused_without_unlocking() -> None:
    transcript = locked()
    transcript.file_correction(PLAINTIFF, 2, proposed_text="改", reason="r", at=at(11))
    with pytest.raises(IllegalState, match="correction requests 3 are pending"):
        transcript.add_signature(JUDGE, manifest_hash=HASH_A, at=at(12))
    transcript.refuse_correction(JUDGE, 3, note="记录准确", at=at(12))
    assert transcript.state is TranscriptState.LOCKED_FOR_REVIEW
    transcript.add_signature(JUDGE, manifest_hash=HASH_A, at=at(13))


def test_accepting_while_locked_requires_unlock_which_invalidates_signatures() -> None:
    transcript = locked()
    transcript.add_signature(JUDGE, manifest_hash=HASH_A, at=at(11))
    filed = transcript.file_correction(PLAINTIFF, 2, proposed_text="改", reason="r", at=at(12))
    # The record the judge signed just changed: that signature no longer stands.
    assert filed.payload["invalidated_signatures"] == [
        {"signer_id": JUDGE.actor_id, "manifest_hash": HASH_A, "signed_at": at(11)}
    ]
    assert transcript.signatures == ()
    with pytest.raises(IllegalState, match="cannot accept a correction: the transcript is locked"):
        transcript.accept_correction(JUDGE, 3, at=at(13))
    transcript.unlock(JUDGE, reason="accept correction 3", at=at(14))
    transcript.accept_correction(JUDGE, 3, at=at(15))
    assert transcript.entry(2).text == "改"
    transcript.lock(CLERK, at=at(16))
    transcript.add_signature(JUDGE, manifest_hash=HASH_B, at=at(17))
