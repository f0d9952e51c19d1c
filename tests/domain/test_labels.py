"""The label catalogue is complete: every role, stage, hearing state and pause reason has a
label in both languages, and the renderings, invitations and exports take theirs from it."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import pytest

from hearing_server.domain.hearing_state import HearingAction, HearingState
from hearing_server.domain.labels import (
    HEARING_ACTION_LABELS,
    HEARING_STATE_LABELS,
    LANGUAGE_TAGS,
    PAUSE_REASON_LABELS,
    RECORD_TEXTS,
    ROLE_LABELS,
    STAGE_HEADINGS,
    STAGE_NAMES,
    Locale,
    role_label,
    stage_heading,
    web_strings,
)
from hearing_server.domain.roles import Role
from hearing_server.domain.stages import PauseReason, Stage
from hearing_server.services.invitations import invitation_text
from tests.test_invitation_artifacts import DETAILS
from transcript import presentation

TABLES: list[tuple[str, Mapping[Locale, Mapping[Any, str]], type[StrEnum]]] = [
    ("role", ROLE_LABELS, Role),
    ("stage name", STAGE_NAMES, Stage),
    ("stage heading", STAGE_HEADINGS, Stage),
    ("hearing state", HEARING_STATE_LABELS, HearingState),
    ("hearing action", HEARING_ACTION_LABELS, HearingAction),
    ("pause reason", PAUSE_REASON_LABELS, PauseReason),
]


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize(("what", "table", "enum"), TABLES, ids=[t[0] for t in TABLES])
def test_every_value_has_a_label_in_each_language(
    what: str, table: Mapping[Locale, Mapping[Any, str]], enum: type[StrEnum], locale: Locale
) -> None:
    labels = table[locale]
    missing = [member.value for member in enum if not labels.get(member, "").strip()]
    assert missing == [], f"{what}s without a {locale.value} label: {missing}"
    unknown = [key for key in labels if key not in set(enum)]
    assert unknown == [], f"{what} labels for values that do not exist: {unknown}"


def test_each_role_and_stage_reads_differently_in_each_language() -> None:
    for table, enum in ((ROLE_LABELS, Role), (STAGE_NAMES, Stage), (STAGE_HEADINGS, Stage)):
        zh, en = table[Locale.ZH], table[Locale.EN]
        assert len(set(zh.values())) == len(enum) and len(set(en.values())) == len(enum)
        assert all(zh[member] != en[member] for member in enum)


def test_record_texts_have_the_same_keys_in_both_languages() -> None:
    assert RECORD_TEXTS[Locale.ZH].keys() == RECORD_TEXTS[Locale.EN].keys()


def test_web_strings_cover_the_whole_vocabulary() -> None:
    for locale in Locale:
        strings = web_strings(locale)
        expected = (
            {f"role.{role}" for role in Role}
            | {f"stage.{stage}" for stage in Stage}
            | {f"state.{state}" for state in HearingState}
            | {f"court.action.{action}" for action in HearingAction}
            | {f"recording.reason.{reason}" for reason in PauseReason}
        )
        assert set(strings) == expected
    assert set(LANGUAGE_TAGS) == set(Locale)


def test_locale_for_language_tags() -> None:
    assert [Locale.for_language(tag) for tag in ("zh-CN", "zh", "ZH-hans", "en", "fr")] == [
        Locale.ZH, Locale.ZH, Locale.ZH, Locale.EN, Locale.EN,
    ]  # fmt: skip


def test_unknown_values_show_as_they_are() -> None:
    assert role_label("bailiff", Locale.ZH) == "bailiff"
    assert stage_heading("site_visit", Locale.EN) == "site visit"


def test_renderings_and_invitations_use_the_catalogue() -> None:
    assert presentation.role_label is role_label
    assert (
        presentation.stage_label("mediation", Locale.ZH)
        == STAGE_HEADINGS[Locale.ZH][Stage.MEDIATION]
    )
    for role in Role:
        details = DETAILS.__class__(**{**DETAILS.__dict__, "participant_role": role.value})
        assert f"（{ROLE_LABELS[Locale.ZH][role]}）" in invitation_text(details, "zh-CN")
        assert f"({ROLE_LABELS[Locale.EN][role]})" in invitation_text(details, "en")
