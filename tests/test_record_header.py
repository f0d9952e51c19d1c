"""The transcript PDF served to staff and the sealed bundle's PDF are headed by the same code,
and so name the same parties: the parties on the record, never the judge, clerk or observers."""

from __future__ import annotations

from datetime import UTC, datetime

from hearing_server.services import bundle
from hearing_server.services.hearing_record import HearingRecord
from hearing_server.store.models import Hearing, Participant
from hearing_server.web import transcript_routes
from transcript import header as record_header
from transcript.header import HeaderParty
from transcript.plaintext import render_text
from transcript.presentation import Locale
from transcript.replica import TranscriptReplica

COURT = "北京市海淀区人民法院"
NOW = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def hearing() -> Hearing:
    return Hearing(
        id=7, case_number="(2026)京0108民初7号", title="张三诉李四买卖合同纠纷",
        scheduled_start=datetime(2026, 3, 1, 23, 30), created_by=1, created_at=NOW,
    )  # fmt: skip


def people() -> list[Participant]:
    # Out of order on purpose: the header lists parties in the hearing's order (position, id).
    rows = [
        (5, "observer", "记者 王五", 4),
        (4, "defendant", "李四", 3),
        (1, "judge", "审判员 李明", 0),
        (3, "plaintiff", "张三", 2),
        (2, "clerk", "书记员 赵六", 1),
        (6, "agent", "律师 钱七", 3),
    ]
    return [
        Participant(id=pid, hearing_id=7, role=role, display_name=name, position=position,
                    created_at=NOW)
        for pid, role, name, position in rows
    ]  # fmt: skip


def test_both_pdfs_are_headed_by_one_function() -> None:
    assert bundle.hearing_header is record_header.hearing_header
    assert transcript_routes.hearing_header is record_header.hearing_header


def test_the_same_hearing_gets_the_same_header_in_both() -> None:
    record = HearingRecord(hearing=hearing(), participants=people(), events=[], segments=[])
    in_bundle = bundle._header(record, COURT)
    served = transcript_routes.transcript_header(hearing(), people(), court_name=COURT)
    assert in_bundle == served
    assert served.parties == (
        HeaderParty("plaintiff", "张三"),
        HeaderParty("defendant", "李四"),
        HeaderParty("agent", "律师 钱七"),
    )
    assert served.date == "2026-03-01"  # the scheduled day in UTC, as stored


def test_observers_staff_are_not_parties_on_the_record() -> None:
    served = transcript_routes.transcript_header(hearing(), people(), court_name=COURT)
    roles = {party.role for party in served.parties}
    assert roles.isdisjoint({"observer", "judge", "clerk"})
    text = render_text(TranscriptReplica("tr-7", "7"), served, locale=Locale.ZH)
    assert "当事人：原告 张三；被告 李四；诉讼代理人 律师 钱七" in text
    assert "王五" not in text and "旁听" not in text
