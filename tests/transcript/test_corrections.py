"""Correction requests: filed by parties, accepted or refused, both on the record."""

from __future__ import annotations

import pytest

from tests.transcript.builders import CLERK, DEFENDANT, JUDGE, PLAINTIFF, at, sample_transcript
from transcript.deltas import DeltaKind
from transcript.exceptions import IllegalOperation, InvalidInput, UnknownRecord
from transcript.records import CorrectionStatus, VersionCause


def test_request_then_accept_applies_a_new_version_attributed_to_the_ruling() -> None:
    transcript = sample_transcript()
    filed = transcript.file_correction(
        PLAINTIFF,
        2,
        proposed_text="我请求被告支付货款人民币一万二千元。",
        reason="金额有误",
        at=at(5),
    )
    assert filed.kind is DeltaKind.CORRECTION_FILED
    correction_id = filed.payload["correction_id"]
    assert isinstance(correction_id, int)
    pending = transcript.correction(correction_id)
    assert pending.status is CorrectionStatus.PENDING
    assert (pending.requester, pending.entry_version, pending.reason) == (PLAINTIFF, 2, "金额有误")
    assert transcript.entry(2).text == "我请求被告支付货款人民币一万元。"  # nothing changes yet

    accepted = transcript.accept_correction(JUDGE, correction_id, note="经核对录像", at=at(6))
    assert accepted.kind is DeltaKind.CORRECTION_ACCEPTED
    entry = transcript.entry(2)
    assert entry.text == "我请求被告支付货款人民币一万二千元。"
    last = entry.versions[-1]
    assert (last.number, last.editor_id, last.cause, last.correction_id, last.at) == (
        3,
        JUDGE.actor_id,
        VersionCause.CORRECTION,
        correction_id,
        at(6),
    )
    ruled = transcript.correction(correction_id)
    assert (ruled.status, ruled.ruled_by, ruled.ruled_at, ruled.ruling_note) == (
        CorrectionStatus.ACCEPTED,
        JUDGE.actor_id,
        at(6),
        "经核对录像",
    )


def test_refusal_stays_on_the_record_and_text_is_untouched() -> None:
    transcript = sample_transcript()
    refused = transcript.correction(2)
    assert refused.status is CorrectionStatus.REFUSED
    assert (refused.ruled_by, refused.ruling_note) == (JUDGE.actor_id, "记录准确")
    assert transcript.entry(1).text == "现在开庭。核对当事人身份。"
    corrections = transcript.to_canonical()["corrections"]
    assert isinstance(corrections, list)
    assert [c["status"] for c in corrections if isinstance(c, dict)] == ["accepted", "refused"]


def test_a_request_is_ruled_on_once() -> None:
    transcript = sample_transcript()
    with pytest.raises(IllegalOperation, match="already accepted"):
        transcript.refuse_correction(CLERK, 1, note="no", at=at(9))
    with pytest.raises(IllegalOperation, match="already refused"):
        transcript.accept_correction(CLERK, 2, at=at(9))


def test_refusal_needs_a_note() -> None:
    transcript = sample_transcript()
    transcript.file_correction(DEFENDANT, 3, proposed_text="other", reason="r", at=at(9))
    with pytest.raises(InvalidInput, match="ruling note"):
        transcript.refuse_correction(JUDGE, 3, note=" ", at=at(9))


def test_requests_against_deleted_entries_or_with_no_change_are_refused() -> None:
    transcript = sample_transcript()
    with pytest.raises(IllegalOperation, match="entry 4 is deleted"):
        transcript.file_correction(PLAINTIFF, 4, proposed_text="x", reason="r", at=at(9))
    with pytest.raises(IllegalOperation, match="already reads as proposed"):
        transcript.file_correction(
            PLAINTIFF, 1, proposed_text="现在开庭。核对当事人身份。", reason="r", at=at(9)
        )
    with pytest.raises(UnknownRecord):
        transcript.file_correction(PLAINTIFF, 99, proposed_text="x", reason="r", at=at(9))


def test_an_entry_deleted_while_a_request_is_pending_can_only_be_refused() -> None:
    transcript = sample_transcript()
    transcript.file_correction(PLAINTIFF, 2, proposed_text="改", reason="r", at=at(9))
    transcript.delete_entry(CLERK, 2, reason="重复", at=at(10))
    with pytest.raises(IllegalOperation, match="refuse it instead"):
        transcript.accept_correction(JUDGE, 3, at=at(11))
    transcript.refuse_correction(JUDGE, 3, note="条目已删除", at=at(11))
