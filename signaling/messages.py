"""Client → server messages: frozen dataclasses, validated at the edge by ``parse_message``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from signaling.exceptions import BadMessage

MAX_MESSAGE_BYTES = 96 * 1024
MAX_SDP_BYTES = 64 * 1024


class Stage(StrEnum):
    IDENTITY_CHECK = "identity_check"
    COURT_DISCIPLINE = "court_discipline"
    INVESTIGATION = "investigation"
    EVIDENCE = "evidence"
    DEBATE = "debate"
    FINAL_STATEMENTS = "final_statements"
    MEDIATION = "mediation"
    CLOSING = "closing"


@dataclass(frozen=True)
class Join:
    pass


@dataclass(frozen=True)
class Offer:
    sdp: str


@dataclass(frozen=True)
class Admit:
    participant_id: int


@dataclass(frozen=True)
class Deny:
    participant_id: int


@dataclass(frozen=True)
class Remove:
    participant_id: int


@dataclass(frozen=True)
class ConfirmIdentity:
    participant_id: int


@dataclass(frozen=True)
class Mute:
    participant_id: int
    muted: bool


@dataclass(frozen=True)
class SetAudioOnly:
    participant_id: int
    audio_only: bool


@dataclass(frozen=True)
class SetStage:
    stage: Stage


@dataclass(frozen=True)
class AcceptRules:
    pass


@dataclass(frozen=True)
class Leave:
    pass


Message = (
    Join | Offer | Admit | Deny | Remove | ConfirmIdentity | Mute | SetAudioOnly | SetStage
    | AcceptRules | Leave
)  # fmt: skip


def _participant_id(data: dict[str, Any]) -> int:
    value = data.get("participant_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**53:
        raise BadMessage("participant_id must be a positive integer")
    return value


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise BadMessage(f"{name} must be true or false")
    return value


def _sdp(data: dict[str, Any]) -> str:
    value = data.get("sdp")
    if not isinstance(value, str) or not value:
        raise BadMessage("sdp must be a non-empty string")
    if len(value.encode("utf-8", "replace")) > MAX_SDP_BYTES:
        raise BadMessage(f"sdp larger than {MAX_SDP_BYTES} bytes")
    return value


def _stage(data: dict[str, Any]) -> Stage:
    try:
        return Stage(str(data.get("stage")))
    except ValueError:
        raise BadMessage("stage must be one of: " + ", ".join(s.value for s in Stage)) from None


PARSERS: dict[str, Callable[[dict[str, Any]], Message]] = {
    "join": lambda d: Join(),
    "offer": lambda d: Offer(_sdp(d)),
    "admit": lambda d: Admit(_participant_id(d)),
    "deny": lambda d: Deny(_participant_id(d)),
    "remove": lambda d: Remove(_participant_id(d)),
    "confirm_identity": lambda d: ConfirmIdentity(_participant_id(d)),
    "mute": lambda d: Mute(_participant_id(d), _flag(d, "muted")),
    "set_audio_only": lambda d: SetAudioOnly(_participant_id(d), _flag(d, "audio_only")),
    "set_stage": lambda d: SetStage(_stage(d)),
    "accept_rules": lambda d: AcceptRules(),
    "leave": lambda d: Leave(),
}


def parse_message(event: str, data: Any) -> Message:
    """Turn one wire event into a typed message or raise ``BadMessage``."""
    parser = PARSERS.get(event)
    if parser is None:
        raise BadMessage(f"unknown event {event[:40]!r}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BadMessage(f"{event}: the payload must be a JSON object")
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise BadMessage(f"{event}: the payload is not plain JSON") from None
    if size > MAX_MESSAGE_BYTES:
        raise BadMessage(f"{event}: message larger than {MAX_MESSAGE_BYTES} bytes")
    return parser(data)
