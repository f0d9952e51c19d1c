"""Client → server messages: frozen dataclasses that declare their fields, read at the edge.

``parse_message(event, data)`` checks what every message shares (a JSON object of bounded
size, a known event name), then hands the payload to that message's ``from_wire``, which reads
the fields it declares (see wire_message.py). Anything malformed raises ``BadMessage``;
unknown fields are ignored. The transcript's messages are in transcript_messages.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from hearing_server.domain.stages import PauseReason, Stage
from hearing_server.domain.validation import Choice, Integer, Number, Opaque, Payload, Prose
from signaling.protocol.exceptions import BadMessage
from signaling.protocol.transcript_messages import (
    TRANSCRIPT_MESSAGES,
    TranscriptAdd,
    TranscriptCorrection,
    TranscriptDelete,
    TranscriptEdit,
    TranscriptLock,
    TranscriptMessage,
    TranscriptRule,
    TranscriptSync,
    TranscriptUnlock,
)
from signaling.protocol.wire_message import MAX_WIRE_INT, Flag, ParticipantId, Wire, WireMessage

__all__ = [
    "EVENTS", "MAX_MESSAGE_BYTES", "PARSERS", "TRANSCRIPT_EVENTS", "TRANSCRIPT_MESSAGES",
    "AcceptRules", "Admit", "ConfirmIdentity", "CourtMessage", "Deny", "IceCandidate", "Join",
    "Leave", "LowerHand", "Message", "Mute", "Offer", "PauseReason", "QualityReport",
    "RaiseHand", "RecordingMessage", "RecordingPause", "RecordingResume", "Remove",
    "SetAudioOnly", "SetStage", "Stage", "TranscriptAdd", "TranscriptCorrection",
    "TranscriptDelete", "TranscriptEdit", "TranscriptLock", "TranscriptMessage",
    "TranscriptRule", "TranscriptSync", "TranscriptUnlock", "Wire", "parse_message",
]  # fmt: skip

MAX_MESSAGE_BYTES = 96 * 1024  # an SDP of 64 KiB grows a little when JSON-escaped
MAX_SDP_BYTES = 64 * 1024
MAX_CANDIDATE_BYTES = 1024
MAX_MID_CHARS = 64
MAX_MLINE_INDEX = 63
MAX_COURT_MESSAGE_CHARS = 500
_PAUSE_REASONS = ", ".join(r.value for r in PauseReason)


class Join(WireMessage):
    EVENT: ClassVar[str] = "join"


@dataclass(frozen=True)
class Offer(WireMessage):
    EVENT: ClassVar[str] = "offer"
    sdp: Annotated[str, Payload(max_bytes=MAX_SDP_BYTES)]


@dataclass(frozen=True)
class IceCandidate(WireMessage):
    EVENT: ClassVar[str] = "ice_candidate"
    candidate: Annotated[str, Payload(max_bytes=MAX_CANDIDATE_BYTES)]
    sdp_mid: Annotated[str | None, Opaque(min_length=0, max_length=MAX_MID_CHARS)] = None
    sdp_mline_index: Annotated[
        int | None,
        Integer(
            minimum=0,
            maximum=MAX_MLINE_INDEX,
            reason=f"must be an integer 0..{MAX_MLINE_INDEX}",
        ),
    ] = None


@dataclass(frozen=True)
class ParticipantAct(WireMessage):
    """What the judge or clerk does to one participant; the subclass names the act."""

    participant_id: ParticipantId


class Admit(ParticipantAct):
    EVENT: ClassVar[str] = "admit"


class Deny(ParticipantAct):
    EVENT: ClassVar[str] = "deny"


class Remove(ParticipantAct):
    EVENT: ClassVar[str] = "remove"


class ConfirmIdentity(ParticipantAct):
    EVENT: ClassVar[str] = "confirm_identity"


@dataclass(frozen=True)
class Mute(ParticipantAct):
    """``mute`` with ``muted`` true or false; ``unmute`` is ``mute`` with false."""

    EVENT: ClassVar[str] = "mute"
    muted: Flag


@dataclass(frozen=True)
class SetAudioOnly(ParticipantAct):
    EVENT: ClassVar[str] = "set_audio_only"
    audio_only: Flag


class RaiseHand(WireMessage):
    """``raise_hand {}``: the sender asks the judge for leave to speak."""

    EVENT: ClassVar[str] = "raise_hand"
    TAKES_NO_FIELDS = True


@dataclass(frozen=True)
class LowerHand(WireMessage):
    """``lower_hand {participant_id?}``: one's own hand (no id), or anyone's for the staff."""

    EVENT: ClassVar[str] = "lower_hand"
    participant_id: ParticipantId | None = None


@dataclass(frozen=True)
class SetStage(WireMessage):
    EVENT: ClassVar[str] = "set_stage"
    stage: Annotated[Stage, Choice(enum=Stage)]


class AcceptRules(WireMessage):
    EVENT: ClassVar[str] = "accept_rules"


class Leave(WireMessage):
    EVENT: ClassVar[str] = "leave"


@dataclass(frozen=True)
class RecordingPause(WireMessage):
    EVENT: ClassVar[str] = "recording_pause"
    reason: Annotated[
        PauseReason,
        Choice(enum=PauseReason, sentence=f"the recording may only pause for: {_PAUSE_REASONS}"),
    ]


class RecordingResume(WireMessage):
    EVENT: ClassVar[str] = "recording_resume"


RecordingMessage = RecordingPause | RecordingResume


@dataclass(frozen=True)
class QualityReport(WireMessage):
    """What the sender's browser measured since its last report (see signaling/quality.py)."""

    EVENT: ClassVar[str] = "quality_report"
    loss: Annotated[float, Number(minimum=0, maximum=1, reason="must be a number from 0 to 1")]
    rtt_ms: Annotated[
        int | None,
        Integer(minimum=0, maximum=60_000, reason="must be null or an integer from 0 to 60000"),
    ] = None


@dataclass(frozen=True)
class CourtMessage(WireMessage):
    """A short written message: staff to everyone (``to`` absent) or to one participant; anyone
    else to the court (the judge and clerk; ``to`` must be absent). See court_messages.py."""

    EVENT: ClassVar[str] = "message"
    text: Annotated[str, Prose(max_chars=MAX_COURT_MESSAGE_CHARS, strip=True)]
    to: Annotated[
        int | None,
        Integer(
            minimum=1,
            maximum=MAX_WIRE_INT,
            sentence="to must be absent, null or a participant id",
        ),
    ] = None


Message = (
    Join | Offer | IceCandidate | Admit | Deny | Remove | ConfirmIdentity | Mute | SetAudioOnly
    | RaiseHand | LowerHand | SetStage | AcceptRules | Leave | TranscriptMessage
    | RecordingMessage | QualityReport | CourtMessage
)  # fmt: skip

_MESSAGE_TYPES: tuple[type[Message], ...] = (
    Join, Offer, IceCandidate, Admit, Deny, Remove, ConfirmIdentity, Mute, SetAudioOnly,
    RaiseHand, LowerHand, SetStage, AcceptRules, Leave,
)  # fmt: skip
_OTHER_TYPES: tuple[type[Message], ...] = (
    *TRANSCRIPT_MESSAGES, RecordingPause, RecordingResume, QualityReport, CourtMessage,
)  # fmt: skip
Parser = Callable[[Wire], Message]


def _unmute(data: Wire) -> Mute:
    return Mute.from_wire({**data, "muted": False})


# The room's and media's events, then the transcript's: two families, two adapters.
PARSERS: dict[str, Parser] = {cls.EVENT: cls.from_wire for cls in _MESSAGE_TYPES}
PARSERS["unmute"] = _unmute
EVENTS = frozenset(PARSERS)
TRANSCRIPT_EVENTS = frozenset(cls.EVENT for cls in TRANSCRIPT_MESSAGES)
PARSERS.update({cls.EVENT: cls.from_wire for cls in _OTHER_TYPES})


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
        size = len(json.dumps(data, ensure_ascii=False, allow_nan=False).encode())
    except (TypeError, ValueError, RecursionError):
        raise BadMessage(f"{event}: the payload is not plain JSON") from None
    if size > MAX_MESSAGE_BYTES:
        raise BadMessage(f"{event}: message larger than {MAX_MESSAGE_BYTES} bytes")
    return parser(data)
