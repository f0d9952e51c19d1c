"""The one validation mechanism: declared fields, their rules, and how errors are reported."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import pytest

from hearing_server.domain.exceptions import ValidationFailed
from hearing_server.domain.validation import (
    Boolean,
    Choice,
    Integer,
    InvalidFields,
    Moment,
    Opaque,
    Prose,
    Schema,
    Text,
    declarations,
    read,
)


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True, kw_only=True)
class Form(Schema):
    name: Annotated[str, Text(max_length=8)]
    nickname: Annotated[str, Text(max_length=8)] = "none"
    code: Annotated[str, Opaque(max_length=4, pattern=re.compile("[0-9]+"), mismatch="digits")]
    count: Annotated[int, Integer(minimum=1, maximum=9)] = 5
    colour: Annotated[Colour | None, Choice(enum=Colour)] = None
    public: Annotated[bool, Boolean()] = False
    at: Annotated[datetime | None, Moment()] = None


GOOD: dict[str, Any] = {"name": " Ann ", "code": "0042"}


def test_a_good_body_gives_typed_values_and_defaults() -> None:
    form = Form.parse({**GOOD, "colour": "red", "at": "2026-05-01T09:30:00+08:00", "x": [1]})
    assert form == Form(
        name="Ann", code="0042", colour=Colour.RED, at=datetime(2026, 5, 1, 1, 30, tzinfo=UTC)
    )
    assert Form.parse({**GOOD, "nickname": None, "count": None}).count == 5


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": None}, "required"),
        ({"name": "   "}, "must not be empty"),
        ({"name": 5}, "must be a string"),
        ({"name": "x" * 9}, "at most 8 characters"),
        ({"name": "a\x00"}, "contains control characters"),
        ({"code": ""}, "must be a string of 1 to 4 characters"),
        ({"code": "12345"}, "must be a string of 1 to 4 characters"),
        ({"code": "12a"}, "digits"),
        ({"count": True}, "must be an integer"),
        ({"count": 2.0}, "must be an integer"),
        ({"count": 10}, "must be between 1 and 9"),
        ({"colour": "green"}, "must be one of: red, blue"),
        ({"colour": ["red"]}, "must be one of: red, blue"),
        ({"public": 1}, "must be true or false"),
        ({"at": "tomorrow"}, "must be an ISO-8601 date-time, e.g. 2026-05-01T09:30:00+08:00"),
        ({"at": "2026-05-01T09:30:00"}, "must include a time zone offset"),
        ({"at": 5}, "must be an ISO-8601 date-time string"),
    ],
)
def test_each_rule_says_what_is_wrong(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidFields) as caught:
        Form.parse({**GOOD, **change})
    (name,) = change
    assert caught.value.fields == {name: reason}
    assert caught.value.sentences == [f"{name} {reason}"]


def test_every_bad_field_is_reported_at_once_as_a_400() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Form.parse({"count": 0, "public": "yes"})
    assert caught.value.status == 400
    assert caught.value.code == "invalid_request"
    assert caught.value.message == "some fields are invalid"
    assert list(caught.value.fields) == ["name", "code", "count", "public"]


def test_a_partial_read_reads_and_returns_only_the_given_fields() -> None:
    assert read(Form, {"nickname": " N ", "name": 3}, only={"nickname"}) == {"nickname": "N"}
    with pytest.raises(InvalidFields) as caught:
        read(Form, {"name": None, "count": 0}, only={"name", "public"})
    assert caught.value.fields == {"name": "required"}


@dataclass(frozen=True)
class Ruling(Schema):
    ABSENT = None  # as on the wire: a missing field is refused by its own rule
    CHECK_ORDER = ("accept", "note")
    number: Annotated[int, Integer(minimum=1, maximum=9, reason="must be a small number")]
    accept: Annotated[bool, Boolean()]
    note: Annotated[str | None, Prose(max_chars=5, optional_if="accept", sentence="say why")]


def test_order_optional_if_and_the_rules_own_reason_for_a_missing_field() -> None:
    assert Ruling.parse({"number": 1, "accept": True}) == Ruling(1, True, None)
    assert Ruling.parse({"number": 1, "accept": False, "note": "no"}) == Ruling(1, False, "no")
    with pytest.raises(InvalidFields) as caught:
        Ruling.parse({})
    assert caught.value.sentences == [
        "accept must be true or false",
        "say why",
        "number must be a small number",
    ]
    with pytest.raises(InvalidFields) as caught:
        Ruling.parse({"number": 1, "accept": True, "note": "x" * 6})
    assert caught.value.fields == {"note": "longer than 5 characters"}


def test_a_field_without_a_rule_is_refused() -> None:
    @dataclass(frozen=True)
    class Undeclared(Schema):
        named: Annotated[str, Text()]
        forgotten: int

    @dataclass(frozen=True)
    class TwoRules(Schema):
        both: Annotated[int, Integer(minimum=0, maximum=1), Boolean()]

    class NotAField(Schema):  # an annotation the dataclass never saw
        late: Annotated[int, Integer(minimum=0, maximum=1)]

    @dataclass(frozen=True)
    class FlagReadLater(Schema):
        note: Annotated[str | None, Prose(max_chars=5, optional_if="accept")]
        accept: Annotated[bool, Boolean()]

    for schema in (Undeclared, TwoRules, NotAField, FlagReadLater):
        with pytest.raises(TypeError, match="declared"):
            declarations(schema)
