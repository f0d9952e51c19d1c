"""Validation and normal forms of the plain values in a transcript (times, texts, offsets)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hearing_server.domain.stages import Stage
from transcript.exceptions import InvalidInput

MAX_TEXT_CHARS = 20_000
MAX_NOTE_CHARS = 4_000
MAX_NAME_CHARS = 200
# Ten days of hearing timeline: far beyond any hearing, small enough to catch unit mistakes.
MAX_MEDIA_OFFSET_MS = 10 * 24 * 3600 * 1000

_STAGE = re.compile(r"[a-z][a-z0-9_]{0,39}")
# C0 controls other than tab and newline, DEL, and C1 controls have no place in a record.
_FORBIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

KNOWN_STAGES = tuple(stage.value for stage in Stage)


def normalise_time(value: str | int, what: str = "time") -> str:
    """ISO-8601 UTC text, or integer milliseconds since the epoch, to ``YYYY-MM-DDTHH:MM:SS.mmmZ``.

    Times are always passed in by the caller; the model never reads a clock.
    """
    if isinstance(value, bool):
        raise InvalidInput(f"{what}: expected ISO-8601 UTC text or integer milliseconds")
    if isinstance(value, int):
        if value < 0:
            raise InvalidInput(f"{what}: negative epoch milliseconds")
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)
        moment = moment.replace(microsecond=(value % 1000) * 1000)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{what}: {value!r} is not ISO-8601") from None
        if moment.tzinfo is None or moment.utcoffset() != UTC.utcoffset(None):
            raise InvalidInput(f"{what}: {value!r} must be UTC (end with Z or +00:00)")
    else:
        raise InvalidInput(f"{what}: expected ISO-8601 UTC text or integer milliseconds")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_text(value: str, what: str, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Return ``value`` with line breaks unified to ``\\n``; refuse empty or control characters."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what}: expected text")
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidInput(f"{what}: must not be empty")
    if len(text) > max_chars:
        raise InvalidInput(f"{what}: longer than {max_chars} characters")
    if _FORBIDDEN_CONTROL.search(text):
        raise InvalidInput(f"{what}: contains control characters")
    return text


def check_optional_text(value: str | None, what: str, *, max_chars: int) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_text(value, what, max_chars=max_chars)


def check_name(value: str, what: str) -> str:
    text = check_text(value, what, max_chars=MAX_NAME_CHARS)
    if "\n" in text or "\t" in text:
        raise InvalidInput(f"{what}: must be a single line")
    return text


def check_offset_ms(value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput("media_offset_ms: expected an integer")
    if not 0 <= value <= MAX_MEDIA_OFFSET_MS:
        raise InvalidInput(f"media_offset_ms: {value} is outside 0..{MAX_MEDIA_OFFSET_MS}")
    return value


def check_stage(value: str) -> str:
    """Stages are short snake_case names; the known ones get labels when rendered."""
    if not isinstance(value, str) or not _STAGE.fullmatch(value):
        raise InvalidInput(f"stage: {value!r} is not a snake_case name of at most 40 characters")
    return value
