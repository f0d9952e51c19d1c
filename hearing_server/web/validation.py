"""Edge validation: JSON bodies and query strings become typed values or a 400 with fields."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from aiohttp import web

from hearing_server.domain.clock import as_utc
from hearing_server.domain.exceptions import PayloadTooLarge, ValidationFailed

E = TypeVar("E", bound=StrEnum)
_MISSING = object()


async def read_json_object(request: web.Request, *, max_bytes: int) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    if request.content_type != "application/json":
        raise ValidationFailed("send the request body as application/json")
    raw = await request.read()
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValidationFailed("request body must be a JSON object")
    return data


async def json_fields(request: web.Request, *, max_bytes: int) -> Fields:
    return Fields(await read_json_object(request, max_bytes=max_bytes))


class Fields:
    """Reads typed fields from a mapping, collecting every error before failing once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.errors[name] = "required"
            return _MISSING
        return value

    def text(
        self, name: str, *, required: bool = True, max_length: int = 256, default: str = ""
    ) -> str:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.errors[name] = "must be a string"
            return default
        stripped: str = value.strip()
        if required and not stripped:
            self.errors[name] = "must not be empty"
        elif len(stripped) > max_length:
            self.errors[name] = f"at most {max_length} characters"
        elif any(ord(char) < 32 and char not in "\n\t" for char in stripped):
            self.errors[name] = "contains control characters"
        return stripped

    def secret(self, name: str, *, max_length: int = 256) -> str:
        value = self._get(name, True)
        if value is _MISSING:
            return ""
        if not isinstance(value, str) or not value or len(value) > max_length:
            self.errors[name] = f"must be a string of 1 to {max_length} characters"
            return ""
        return str(value)

    def integer(
        self, name: str, *, required: bool = True, minimum: int, maximum: int, default: int = 0
    ) -> int:
        value = self._get(name, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "must be an integer"
            return default
        if not minimum <= value <= maximum:
            self.errors[name] = f"must be between {minimum} and {maximum}"
        return value

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._get(name, False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.errors[name] = "must be true or false"
            return default
        return value

    def choice(self, name: str, enum: type[E], *, required: bool = True) -> E | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        try:
            return enum(value)
        except ValueError:
            self.errors[name] = "must be one of: " + ", ".join(member.value for member in enum)
            return None

    def moment(self, name: str, *, required: bool = True) -> datetime | None:
        value = self._get(name, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.errors[name] = "must be an ISO-8601 date-time string"
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.errors[name] = "must be an ISO-8601 date-time, e.g. 2026-05-01T09:30:00+08:00"
            return None
        if parsed.tzinfo is None:
            self.errors[name] = "must include a time zone offset"
            return None
        return as_utc(parsed)

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed("some fields are invalid", fields=self.errors)


def path_id(request: web.Request, name: str) -> int:
    raw = request.match_info.get(name, "")
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationFailed(f"{name} must be a positive integer", fields={name: "invalid"})
    return int(raw)
