"""What the renderings share: labels (zh/en), clock times, and the entries a rendering shows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from transcript.header import HearingHeader
from transcript.records import CorrectionRequest, Entry
from transcript.replica import TranscriptReplica


class Locale(StrEnum):
    ZH = "zh"
    EN = "en"


STAGE_LABELS: dict[Locale, dict[str, str]] = {
    Locale.ZH: {
        "identity_check": "核对当事人身份",
        "court_discipline": "宣布法庭纪律",
        "investigation": "法庭调查",
        "evidence": "举证质证",
        "debate": "法庭辩论",
        "final_statements": "最后陈述",
        "mediation": "法庭调解",
        "closing": "闭庭",
    },
    Locale.EN: {
        "identity_check": "Identity check",
        "court_discipline": "Court discipline",
        "investigation": "Investigation",
        "evidence": "Evidence",
        "debate": "Debate",
        "final_statements": "Final statements",
        "mediation": "Mediation",
        "closing": "Closing",
    },
}

ROLE_LABELS: dict[Locale, dict[str, str]] = {
    Locale.ZH: {
        "judge": "审判员",
        "clerk": "书记员",
        "plaintiff": "原告",
        "defendant": "被告",
        "agent": "代理人",
        "witness": "证人",
        "interpreter": "翻译人员",
        "observer": "旁听人员",
    },
    Locale.EN: {
        "judge": "Judge",
        "clerk": "Clerk",
        "plaintiff": "Plaintiff",
        "defendant": "Defendant",
        "agent": "Agent",
        "witness": "Witness",
        "interpreter": "Interpreter",
        "observer": "Observer",
    },
}

TEXT_LABELS: dict[Locale, dict[str, str]] = {
    Locale.ZH: {
        "document": "庭审笔录",
        "case_number": "案号",
        "title": "案由",
        "date": "日期",
        "parties": "当事人",
        "corrections": "笔录更正申请",
        "entry": "条目",
        "pending": "待处理",
        "accepted": "已准许",
        "refused": "已驳回",
        "reason": "理由",
        "ruling": "处理意见",
        "proposed": "申请改为",
        "record_hash": "笔录哈希 (SHA-256)",
        "page": "第 {number} 页",
        "colon": "：",
        "separator": "；",
    },
    Locale.EN: {
        "document": "Hearing Transcript",
        "case_number": "Case number",
        "title": "Title",
        "date": "Date",
        "parties": "Parties",
        "corrections": "Correction requests",
        "entry": "entry",
        "pending": "pending",
        "accepted": "accepted",
        "refused": "refused",
        "reason": "reason",
        "ruling": "ruling",
        "proposed": "proposed",
        "record_hash": "Record hash (SHA-256)",
        "page": "Page {number}",
        "colon": ": ",
        "separator": "; ",
    },
}


def clock_time(offset_ms: int) -> str:
    """Hearing-timeline offset as ``hh:mm:ss`` (hours may exceed 24 on very long timelines)."""
    seconds = offset_ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def stage_label(stage: str, locale: Locale) -> str:
    return STAGE_LABELS[locale].get(stage, stage.replace("_", " "))


def role_label(role: str, locale: Locale) -> str:
    return ROLE_LABELS[locale].get(role, role)


def speaker_label(entry: Entry, locale: Locale) -> str:
    role = role_label(entry.speaker.role.value, locale)
    name = entry.speaker.display_name
    return name if role in name else f"{name} ({role})"


@dataclass(frozen=True)
class StageSection:
    stage: str
    entries: tuple[Entry, ...]


def stage_sections(transcript: TranscriptReplica) -> list[StageSection]:
    """Live entries in timeline order, grouped into runs of the same stage."""
    sections: list[StageSection] = []
    run: list[Entry] = []
    for entry in transcript.entries(include_deleted=False):
        if run and run[-1].stage != entry.stage:
            sections.append(StageSection(run[0].stage, tuple(run)))
            run = []
        run.append(entry)
    if run:
        sections.append(StageSection(run[0].stage, tuple(run)))
    return sections


def header_lines(header: HearingHeader, locale: Locale) -> list[str]:
    labels = TEXT_LABELS[locale]
    colon = labels["colon"]
    parties = labels["separator"].join(
        f"{role_label(party.role, locale)} {party.name}" for party in header.parties
    )
    return [
        f"{labels['case_number']}{colon}{header.case_number}",
        f"{labels['title']}{colon}{header.title}",
        f"{labels['date']}{colon}{header.date}",
        f"{labels['parties']}{colon}{parties}",
    ]


def correction_lines(correction: CorrectionRequest, locale: Locale) -> list[str]:
    labels = TEXT_LABELS[locale]
    colon = labels["colon"]
    requester = role_label(correction.requester.role.value, locale)
    lines = [
        f"#{correction.correction_id} [{labels[correction.status.value]}] "
        f"{requester} {correction.requester.actor_id}, {labels['entry']} {correction.entry_id}",
        f"{labels['proposed']}{colon}{correction.proposed_text}",
        f"{labels['reason']}{colon}{correction.reason}",
    ]
    if correction.ruling_note is not None:
        lines.append(f"{labels['ruling']}{colon}{correction.ruling_note} ({correction.ruled_by})")
    return lines
