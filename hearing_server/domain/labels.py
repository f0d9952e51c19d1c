"""The one label catalogue (zh/en): roles, stages, hearing states and moves, pause reasons.

And the words of the record around its entries.

The transcript renderings (text, PDF), the bundle's signature page, the invitations, the
recording exports and (generated into ``web_client/i18n/*.json`` by
``python -m hearing_server.domain.protocol_js``) the web client all take their words from here.

Stages have two forms on purpose: the record's section heading is the stage's procedural
name as the court's transcript format spells it (e.g. 核对当事人身份), the console and the
recording's chapters show the short name (核对身份).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from hearing_server.domain.hearing_state import HearingAction, HearingState
from hearing_server.domain.roles import Role
from hearing_server.domain.stages import PauseReason, Stage


class Locale(StrEnum):
    ZH = "zh"
    EN = "en"

    @classmethod
    def for_language(cls, language: str) -> Locale:
        """A language tag (``zh-CN``, ``zh``, ``en``) to a locale; English for any other."""
        return cls.ZH if language.lower().startswith("zh") else cls.EN


LANGUAGE_TAGS: dict[Locale, str] = {Locale.ZH: "zh-CN", Locale.EN: "en"}
"""The web client's name (``/i18n/<tag>.json``) for each locale."""

ROLE_LABELS: dict[Locale, dict[Role, str]] = {
    Locale.ZH: {
        Role.JUDGE: "审判员",
        Role.CLERK: "书记员",
        Role.PLAINTIFF: "原告",
        Role.DEFENDANT: "被告",
        Role.AGENT: "诉讼代理人",
        Role.WITNESS: "证人",
        Role.INTERPRETER: "翻译人员",
        Role.OBSERVER: "旁听人员",
    },
    Locale.EN: {
        Role.JUDGE: "Judge",
        Role.CLERK: "Clerk",
        Role.PLAINTIFF: "Plaintiff",
        Role.DEFENDANT: "Defendant",
        Role.AGENT: "Agent / lawyer",
        Role.WITNESS: "Witness",
        Role.INTERPRETER: "Interpreter",
        Role.OBSERVER: "Observer",
    },
}

STAGE_NAMES: dict[Locale, dict[Stage, str]] = {
    Locale.ZH: {
        Stage.IDENTITY_CHECK: "核对身份",
        Stage.COURT_DISCIPLINE: "宣布法庭纪律",
        Stage.INVESTIGATION: "法庭调查",
        Stage.EVIDENCE: "举证质证",
        Stage.DEBATE: "法庭辩论",
        Stage.FINAL_STATEMENTS: "最后陈述",
        Stage.MEDIATION: "调解",
        Stage.CLOSING: "闭庭",
    },
    Locale.EN: {
        Stage.IDENTITY_CHECK: "Identity check",
        Stage.COURT_DISCIPLINE: "Court discipline",
        Stage.INVESTIGATION: "Court investigation",
        Stage.EVIDENCE: "Evidence and cross-examination",
        Stage.DEBATE: "Court debate",
        Stage.FINAL_STATEMENTS: "Final statements",
        Stage.MEDIATION: "Mediation",
        Stage.CLOSING: "Closing",
    },
}
"""What the console, the party's page and the recording's chapters call each stage."""

STAGE_HEADINGS: dict[Locale, dict[Stage, str]] = {
    Locale.ZH: {
        Stage.IDENTITY_CHECK: "核对当事人身份",
        Stage.COURT_DISCIPLINE: "宣布法庭纪律",
        Stage.INVESTIGATION: "法庭调查",
        Stage.EVIDENCE: "举证质证",
        Stage.DEBATE: "法庭辩论",
        Stage.FINAL_STATEMENTS: "最后陈述",
        Stage.MEDIATION: "法庭调解",
        Stage.CLOSING: "闭庭",
    },
    Locale.EN: {
        Stage.IDENTITY_CHECK: "Identity check",
        Stage.COURT_DISCIPLINE: "Court discipline",
        Stage.INVESTIGATION: "Investigation",
        Stage.EVIDENCE: "Evidence",
        Stage.DEBATE: "Debate",
        Stage.FINAL_STATEMENTS: "Final statements",
        Stage.MEDIATION: "Mediation",
        Stage.CLOSING: "Closing",
    },
}
"""The transcript's section headings (text and PDF renderings)."""

HEARING_STATE_LABELS: dict[Locale, dict[HearingState, str]] = {
    Locale.ZH: {
        HearingState.SCHEDULED: "已排期",
        HearingState.OPEN: "候审室已开放",
        HearingState.IN_SESSION: "庭审中",
        HearingState.RECESSED: "休庭中",
        HearingState.CLOSED: "已闭庭",
        HearingState.SIGNING: "签名中",
        HearingState.SEALED: "已封存",
    },
    Locale.EN: {
        HearingState.SCHEDULED: "scheduled",
        HearingState.OPEN: "waiting room open",
        HearingState.IN_SESSION: "in session",
        HearingState.RECESSED: "in recess",
        HearingState.CLOSED: "closed",
        HearingState.SIGNING: "signing",
        HearingState.SEALED: "sealed",
    },
}

HEARING_ACTION_LABELS: dict[Locale, dict[HearingAction, str]] = {
    Locale.ZH: {
        HearingAction.OPEN_LOBBY: "开放候审室",
        HearingAction.START: "开庭",
        HearingAction.RECESS: "休庭",
        HearingAction.RESUME: "继续开庭",
        HearingAction.CLOSE: "闭庭",
        HearingAction.BEGIN_SIGNING: "开始签名",
        HearingAction.SEAL: "封存",
    },
    Locale.EN: {
        HearingAction.OPEN_LOBBY: "Open the waiting room",
        HearingAction.START: "Start the hearing",
        HearingAction.RECESS: "Recess",
        HearingAction.RESUME: "Resume",
        HearingAction.CLOSE: "Close the hearing",
        HearingAction.BEGIN_SIGNING: "Start signing",
        HearingAction.SEAL: "Seal",
    },
}
"""The console's buttons that move the hearing from state to state."""

PAUSE_REASON_LABELS: dict[Locale, dict[PauseReason, str]] = {
    Locale.ZH: {
        PauseReason.RECESS: "休庭",
        PauseReason.NON_PUBLIC_EVIDENCE: "不公开质证",
        PauseReason.MEDIATION_CAUCUS: "背靠背调解",
    },
    Locale.EN: {
        PauseReason.RECESS: "recess",
        PauseReason.NON_PUBLIC_EVIDENCE: "non-public evidence",
        PauseReason.MEDIATION_CAUCUS: "mediation caucus",
    },
}

RECORD_TEXTS: dict[Locale, dict[str, str]] = {
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
"""The words of the transcript renderings around the entries (header, corrections, pages)."""


def _label(table: Mapping[Any, str], value: str, fallback: str) -> str:
    # Tables are keyed by the enums; StrEnum members hash and compare as their values.
    return table.get(value, fallback)


def role_label(role: str, locale: Locale) -> str:
    """The role's name; a value that is not a role (an old record, say) shows as it is."""
    return _label(ROLE_LABELS[locale], role, role)


def stage_name(stage: str, locale: Locale) -> str:
    return _label(STAGE_NAMES[locale], stage, stage.replace("_", " "))


def stage_heading(stage: str, locale: Locale) -> str:
    return _label(STAGE_HEADINGS[locale], stage, stage.replace("_", " "))


def hearing_state_label(state: str, locale: Locale) -> str:
    return _label(HEARING_STATE_LABELS[locale], state, state)


def pause_reason_label(reason: str, locale: Locale) -> str:
    return _label(PAUSE_REASON_LABELS[locale], reason, reason)


WEB_SECTIONS: tuple[tuple[str, Mapping[Locale, Mapping[Any, str]]], ...] = (
    ("role", ROLE_LABELS),
    ("stage", STAGE_NAMES),
    ("state", HEARING_STATE_LABELS),
    ("court.action", HEARING_ACTION_LABELS),
    ("recording.reason", PAUSE_REASON_LABELS),
)
"""The web client's key prefix for each table the catalogue gives it."""


def web_strings(locale: Locale) -> dict[str, str]:
    """The keys of this vocabulary as ``web_client/i18n/<tag>.json`` must hold them."""
    return {
        f"{prefix}.{key}": label
        for prefix, table in WEB_SECTIONS
        for key, label in table[locale].items()
    }
