"""Edge validation of REST requests: a JSON body becomes a declared schema or a 400 with fields.

A request schema is a frozen dataclass whose fields declare their rules
(``hearing_server.domain.validation``, the same mechanism the Socket.IO messages use)::

    @dataclass(frozen=True, kw_only=True)
    class Login(Schema):
        username: Username
        password: Password

    login = Login.parse(await read_json_object(request, max_bytes=...))
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from aiohttp import web

from hearing_server.domain.exceptions import PayloadTooLarge, ValidationFailed
from hearing_server.domain.validation import Integer, Opaque, Text

# Fields several request bodies share.
Username = Annotated[str, Text(max_length=64)]
DisplayName = Annotated[str, Text(max_length=128)]
Password = Annotated[str, Opaque()]
HearingId = Annotated[int | None, Integer(minimum=1, maximum=2**53)]


async def read_json_object(request: web.Request, *, max_bytes: int) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    if request.content_type != "application/json":
        raise ValidationFailed("send the request body as application/json")
    raw = await request.read()
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    return decode_json_object(raw or b"{}")


def decode_json_object(raw: bytes) -> dict[str, Any]:
    """A whole request body as a JSON object, or a 400 saying what it is instead."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("request body is not valid JSON") from None
    except RecursionError:
        raise ValidationFailed("request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise ValidationFailed("request body must be a JSON object")
    if _has_lone_surrogate(data):
        # "\ud800" is valid JSON syntax but no Unicode text: nothing can store or compare it.
        raise ValidationFailed("request body is not valid JSON: it has a lone surrogate escape")
    return data


def _has_lone_surrogate(data: Any) -> bool:
    """True if any string (key or value) in the decoded body holds an unpaired surrogate."""
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def path_id(request: web.Request, name: str) -> int:
    raw = request.match_info.get(name, "")
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationFailed(f"{name} must be a positive integer", fields={name: "invalid"})
    return int(raw)
