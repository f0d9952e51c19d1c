"""A fixed, small hearing transcript (Chinese and English) shared by the transcript tests."""

from __future__ import annotations

from transcript.header import HeaderParty, HearingHeader
from transcript.model import Transcript
from transcript.records import Speaker
from transcript.roles import Actor, Role

JUDGE = Actor("staff-judge-1", Role.JUDGE)
CLERK = Actor("staff-clerk-1", Role.CLERK)
PLAINTIFF = Actor("p-plaintiff", Role.PLAINTIFF)
DEFENDANT = Actor("p-defendant", Role.DEFENDANT)
WITNESS = Actor("p-witness", Role.WITNESS)
OBSERVER = Actor("p-observer", Role.OBSERVER)

JUDGE_SPEAKER = Speaker("p-judge", "审判员 李明", Role.JUDGE)
PLAINTIFF_SPEAKER = Speaker("p-plaintiff", "原告 张三", Role.PLAINTIFF)
DEFENDANT_SPEAKER = Speaker("p-defendant", "Defendant John Smith", Role.DEFENDANT)

T0 = "2025-03-01T09:00:00.000Z"

HEADER = HearingHeader(
    court_name="北京市海淀区人民法院",
    case_number="(2025)京0108民初1234号",
    title="张三诉 John Smith 买卖合同纠纷",
    parties=(
        HeaderParty("plaintiff", "张三"),
        HeaderParty("defendant", "John Smith"),
    ),
    date="2025-03-01",
)


def at(minute: int, second: int = 0) -> str:
    return f"2025-03-01T09:{minute:02d}:{second:02d}.000Z"


def sample_transcript() -> Transcript:
    """Three entries, one edit, one tombstone, one accepted and one refused correction."""
    transcript = Transcript("tr-1", "hearing-1")
    transcript.add_entry(
        CLERK,
        speaker=JUDGE_SPEAKER,
        text="现在开庭。核对当事人身份。",
        media_offset_ms=1_000,
        stage="identity_check",
        at=at(0, 5),
    )
    transcript.add_entry(
        CLERK,
        speaker=PLAINTIFF_SPEAKER,
        text="我请求被告支付货款人民币10000元。",
        media_offset_ms=65_000,
        stage="investigation",
        at=at(1, 10),
    )
    transcript.add_entry(
        CLERK,
        speaker=DEFENDANT_SPEAKER,
        text="I received the goods on 3 January & paid <half>.",
        media_offset_ms=125_500,
        stage="investigation",
        at=at(2, 10),
    )
    transcript.add_entry(
        CLERK,
        speaker=DEFENDANT_SPEAKER,
        text="(typed by mistake)",
        media_offset_ms=130_000,
        stage="investigation",
        at=at(2, 20),
    )
    transcript.edit_entry(CLERK, 2, text="我请求被告支付货款人民币一万元。", at=at(2, 30))
    transcript.delete_entry(CLERK, 4, reason="duplicate", at=at(2, 40))
    transcript.file_correction(
        DEFENDANT,
        3,
        proposed_text="I received the goods on 3 January and paid half.",
        reason="wording",
        at=at(3),
    )
    transcript.accept_correction(JUDGE, 1, note="agreed", at=at(3, 30))
    transcript.file_correction(PLAINTIFF, 1, proposed_text="现在开庭。", reason="多余", at=at(4))
    transcript.refuse_correction(JUDGE, 2, note="记录准确", at=at(4, 30))
    return transcript
