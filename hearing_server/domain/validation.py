"""One way to read untrusted input: a frozen dataclass whose fields each declare their rule.

A REST request body and a Socket.IO message are both such a declaration::

    @dataclass(frozen=True, kw_only=True)
    class Login(Schema):
        username: Annotated[str, Text(max_length=64)]
        password: Annotated[str, Opaque()]

``Login.parse(data)`` reads every declared field from the mapping, in declaration order
(``CHECK_ORDER`` names any to read first), ignores keys it does not declare, and collects one
reason per bad field. If any is bad it raises ``InvalidFields``: a ``ValidationFailed`` whose
``fields`` map each bad field to its reason (the REST edge answers 400 with them) and whose
``sentences`` say each as a whole sentence (the wire's ``bad_message`` reports the first).

A field with a default may be absent or null and then takes its default; one without is
required (``Rule.optional_if`` names a flag read before it that waives this). A required field
that is absent says ``ABSENT`` ("required"), or, where a schema sets ``ABSENT = None``, the
reason its rule gives for the missing value. Pure: standard library only.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from hearing_server.domain.clock import as_utc
from hearing_server.domain.exceptions import ValidationFailed


class Invalid(Exception):
    """One value breaks its rule; ``reason`` completes the sentence "<field> ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidFields(ValidationFailed):
    def __init__(self, reasons: Mapping[str, str], sentences: list[str]) -> None:
        super().__init__("some fields are invalid", fields=reasons)
        self.sentences = sentences


@dataclass(frozen=True, kw_only=True)
class Rule:
    """How one field's value is checked; subclasses say it in ``check``."""

    sentence: str | None = None  # the whole error, in place of "<field> <reason>"
    optional_if: str | None = None  # a flag field read earlier: when true, this may be absent

    def check(self, value: Any, *, required: bool) -> Any:
        """The value, typed, or ``Invalid``. None (a required field absent where the schema's
        ``ABSENT`` is None) must be refused, with the reason the rule gives for it."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Integer(Rule):
    """A JSON integer (true and false are refused) from ``minimum`` to ``maximum``."""

    minimum: int
    maximum: int
    reason: str | None = None  # one reason for a wrong type and a wrong value alike

    def check(self, value: Any, *, required: bool) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(self.reason or "must be an integer")
        if not self.minimum <= value <= self.maximum:
            raise Invalid(self.reason or f"must be between {self.minimum} and {self.maximum}")
        return value


@dataclass(frozen=True, kw_only=True)
class Number(Rule):
    """A JSON number (integer or not; true and false are refused), as a float."""

    minimum: float
    maximum: float
    reason: str

    def check(self, value: Any, *, required: bool) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid(self.reason)
        if not self.minimum <= value <= self.maximum:
            raise Invalid(self.reason)
        return float(value)


@dataclass(frozen=True, kw_only=True)
class Boolean(Rule):
    def check(self, value: Any, *, required: bool) -> bool:
        if not isinstance(value, bool):
            raise Invalid("must be true or false")
        return value


@dataclass(frozen=True, kw_only=True)
class Choice(Rule):
    """One of a string enum's values, as the member."""

    enum: type[StrEnum]

    def check(self, value: Any, *, required: bool) -> StrEnum:
        try:
            return self.enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in self.enum)
            raise Invalid(f"must be one of: {allowed}") from None


@dataclass(frozen=True, kw_only=True)
class Text(Rule):
    """A line a person typed: stripped, at most ``max_length`` characters, no control
    characters but newline and tab; a required one must not be blank."""

    max_length: int = 256

    def check(self, value: Any, *, required: bool) -> str:
        if not isinstance(value, str):
            raise Invalid("must be a string")
        stripped = value.strip()
        if required and not stripped:
            raise Invalid("must not be empty")
        if len(stripped) > self.max_length:
            raise Invalid(f"at most {self.max_length} characters")
        if any(ord(char) < 32 and char not in "\n\t" for char in stripped):
            raise Invalid("contains control characters")
        return stripped


@dataclass(frozen=True, kw_only=True)
class Opaque(Rule):
    """A string taken exactly as sent (a password, a token, a key), of bounded length;
    ``pattern``, when given, must match it whole."""

    min_length: int = 1
    max_length: int = 256
    pattern: re.Pattern[str] | None = None
    mismatch: str = ""  # the reason when ``pattern`` does not match

    def check(self, value: Any, *, required: bool) -> str:
        if not isinstance(value, str) or not self.min_length <= len(value) <= self.max_length:
            if self.min_length == 0:
                raise Invalid(f"must be a string of at most {self.max_length} characters")
            raise Invalid(f"must be a string of {self.min_length} to {self.max_length} characters")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            raise Invalid(self.mismatch)
        return value


@dataclass(frozen=True, kw_only=True)
class Payload(Rule):
    """A non-empty string of at most ``max_bytes`` in UTF-8 (an SDP, an ICE candidate)."""

    max_bytes: int

    def check(self, value: Any, *, required: bool) -> str:
        if not isinstance(value, str) or not value:
            raise Invalid("must be a non-empty string")
        if len(value.encode("utf-8", "replace")) > self.max_bytes:
            raise Invalid(f"larger than {self.max_bytes} bytes")
        return value


@dataclass(frozen=True, kw_only=True)
class Prose(Rule):
    """Words for the record or a message: not blank, at most ``max_chars`` characters as sent
    (the record's own model checks the content); ``strip`` returns them stripped."""

    max_chars: int
    strip: bool = False

    def check(self, value: Any, *, required: bool) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid("must be a non-empty string")
        if len(value) > self.max_chars:
            raise Invalid(f"longer than {self.max_chars} characters")
        return value.strip() if self.strip else value


@dataclass(frozen=True, kw_only=True)
class Moment(Rule):
    """An ISO-8601 date-time with its offset, as UTC."""

    def check(self, value: Any, *, required: bool) -> datetime:
        if not isinstance(value, str):
            raise Invalid("must be an ISO-8601 date-time string")
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid("must be an ISO-8601 date-time, e.g. 2026-05-01T09:30:00+08:00") from None
        if parsed.tzinfo is None:
            raise Invalid("must include a time zone offset")
        return as_utc(parsed)


@dataclass(frozen=True)
class Declared:
    """One field of a schema: its name, rule and default (``dataclasses.MISSING``: none)."""

    name: str
    rule: Rule
    default: Any


_DECLARED: dict[type[Schema], tuple[Declared, ...]] = {}  # read once per class
_UNIONS = (typing.Union, types.UnionType)  # ``Annotated[int, rule] | None`` declares too


def declarations(cls: type[Schema]) -> tuple[Declared, ...]:
    """The fields of ``cls`` in the order they are checked; ``TypeError`` for a field (or an
    annotation that is not one) without a rule."""
    known = _DECLARED.get(cls)
    if known is None:
        known = _DECLARED[cls] = _declare(cls)
    return known


def _declare(cls: type[Schema]) -> tuple[Declared, ...]:
    hints = typing.get_type_hints(cls, include_extras=True)
    fields = {field.name: field for field in dataclasses.fields(cls)}
    declared: dict[str, Declared] = {}
    for name, hint in hints.items():
        if typing.get_origin(hint) is ClassVar:
            continue
        alternatives = typing.get_args(hint) if typing.get_origin(hint) in _UNIONS else ()
        rules = [
            rule
            for part in (hint, *alternatives)
            for rule in getattr(part, "__metadata__", ())
            if isinstance(rule, Rule)
        ]
        if name not in fields or len(rules) != 1:
            raise TypeError(f"{cls.__name__}.{name} must be a field declared with one rule")
        declared[name] = Declared(name, rules[0], fields[name].default)
    first = [declared.pop(name) for name in cls.CHECK_ORDER]
    ordered = (*first, *declared.values())
    for index, field in enumerate(ordered):
        flag = field.rule.optional_if
        if flag is not None and flag not in [f.name for f in ordered[:index]]:
            raise TypeError(f"{cls.__name__}.{field.name}: {flag} must be declared before it")
    return ordered


@dataclass(frozen=True)
class Schema:
    """Base of every declared input (see the module's doc)."""

    ABSENT: ClassVar[str | None] = "required"
    CHECK_ORDER: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        return cls(**read(cls, data))


def read(
    cls: type[Schema], data: Mapping[str, Any], *, only: Collection[str] | None = None
) -> dict[str, Any]:
    """The declared fields' values by name, or ``InvalidFields``; ``only``: read just these
    names (those a partial update gives) and return just them."""
    values: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    sentences: list[str] = []
    for field in declarations(cls):
        if only is not None and field.name not in only:
            continue
        rule = field.rule
        value = data.get(field.name)
        optional = field.default is not dataclasses.MISSING or (
            rule.optional_if is not None and values.get(rule.optional_if) is True
        )
        try:
            if value is None and optional:
                values[field.name] = None if field.default is dataclasses.MISSING else field.default
                continue
            if value is None and cls.ABSENT is not None:
                raise Invalid(cls.ABSENT)
            if value is None:  # the rule says what a missing value lacks
                rule.check(None, required=True)
                raise Invalid("is required")
            values[field.name] = rule.check(value, required=not optional)
        except Invalid as exc:
            reasons[field.name] = exc.reason
            sentences.append(rule.sentence or f"{field.name} {exc.reason}")
    if reasons:
        raise InvalidFields(reasons, sentences)
    return values
