"""Client → server messages: frozen dataclasses, each built by ``from_wire`` at the edge.

``parse_message(event, data)`` checks what every message shares (a JSON object of bounded
size, a known event name), then hands the payload to that message's ``from_wire``. Anything
malformed raises ``BadMessage``; unknown fields are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from hearing_server.domain.stages import PauseReason, Stage
from signaling.protocol.exceptions import BadMessage
from transcript.values import MAX_NOTE_CHARS, MAX_TEXT_CHARS

MAX_MESSAGE_BYTES = 96 * 1024  # an SDP of 64 KiB grows a little when JSON-escaped
MAX_SDP_BYTES = 64 * 1024
MAX_CANDIDATE_BYTES = 1024
MAX_MID_CHARS = 64
MAX_MLINE_INDEX = 63

Wire = Mapping[str, Any]


def _participant_id(data: Wire) -> int:
    value = data.get("participant_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**53:
        raise BadMessage("participant_id must be a positive integer")
    return value


def _flag(data: Wire, name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise BadMessage(f"{name} must be true or false")
    return value


def _text(data: Wire, name: str, *, max_bytes: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise BadMessage(f"{name} must be a non-empty string")
    if len(value.encode("utf-8", "replace")) > max_bytes:
        raise BadMessage(f"{name} larger than {max_bytes} bytes")
    return value


@dataclass(frozen=True)
class Join:
    EVENT: ClassVar[str] = "join"

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls()


@dataclass(frozen=True)
class Offer:
    EVENT: ClassVar[str] = "offer"
    sdp: str

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls(_text(data, "sdp", max_bytes=MAX_SDP_BYTES))


@dataclass(frozen=True)
class IceCandidate:
    EVENT: ClassVar[str] = "ice_candidate"
    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int | None

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        candidate = _text(data, "candidate", max_bytes=MAX_CANDIDATE_BYTES)
        mid = data.get("sdp_mid")
        if mid is not None and (not isinstance(mid, str) or len(mid) > MAX_MID_CHARS):
            raise BadMessage(f"sdp_mid must be a string of at most {MAX_MID_CHARS} characters")
        index = data.get("sdp_mline_index")
        if index is not None and (
            isinstance(index, bool)
            or not isinstance(index, int)
            or not 0 <= index <= MAX_MLINE_INDEX
        ):
            raise BadMessage(f"sdp_mline_index must be an integer 0..{MAX_MLINE_INDEX}")
        return cls(candidate, mid, index)


@dataclass(frozen=True)
class Admit:
    EVENT: ClassVar[str] = "admit"
    participant_id: int

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls(_participant_id(data))


@dataclass(frozen=True)
class Deny:
    EVENT: ClassVar[str] = "deny"
    participant_id: int

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls(_participant_id(data))


@dataclass(frozen=True)
class Remove:
    EVENT: ClassVar[str] = "remove"
    participant_id: int

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls(_participant_id(data))


@dataclass(frozen=True)
class ConfirmIdentity:
    EVENT: ClassVar[str] = "confirm_identity"
    participant_id: int

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls(_participant_id(data))


@dataclass(frozen=True)
class Mute:
    """``mute`` with ``muted`` true or false; ``unmute`` is ``mute`` with false."""

    EVENT: ClassVar[str] = "mute"
    participant_id: int
    muted: bool

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls(_participant_id(data), _flag(data, "muted"))

    @classmethod
    def unmute_from_wire(cls, data: Wire) -> Self:
        return cls(_participant_id(data), False)


@dataclass(frozen=True)
class SetAudioOnly:
    EVENT: ClassVar[str] = "set_audio_only"
    participant_id: int
    audio_only: bool

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls(_participant_id(data), _flag(data, "audio_only"))


@dataclass(frozen=True)
class RaiseHand:
    """``raise_hand {}``: the sender asks the judge for leave to speak."""

    EVENT: ClassVar[str] = "raise_hand"

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        if data:
            raise BadMessage("raise_hand takes no fields")
        return cls()


@dataclass(frozen=True)
class LowerHand:
    """``lower_hand {participant_id?}``: one's own hand (no id), or anyone's for the staff."""

    EVENT: ClassVar[str] = "lower_hand"
    participant_id: int | None

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        if data.get("participant_id") is None:
            return cls(None)
        return cls(_participant_id(data))


@dataclass(frozen=True)
class SetStage:
    EVENT: ClassVar[str] = "set_stage"
    stage: Stage

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        value = data.get("stage")
        if not isinstance(value, str) or value not in Stage.__members__.values():
            raise BadMessage("stage must be one of: " + ", ".join(s.value for s in Stage))
        return cls(Stage(value))


@dataclass(frozen=True)
class AcceptRules:
    EVENT: ClassVar[str] = "accept_rules"

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls()


@dataclass(frozen=True)
class Leave:
    EVENT: ClassVar[str] = "leave"

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls()


# -- the live transcript (signaling/transcript_live.py) -------------------------------------


def _record_id(data: Wire, name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**53:
        raise BadMessage(f"{name} must be a positive integer")
    return value


def _record_text(data: Wire, name: str, *, max_chars: int, optional: bool = False) -> str | None:
    """Text for the record: the model checks its content; here only type and size."""
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadMessage(f"{name} must be a non-empty string")
    if len(value) > max_chars:
        raise BadMessage(f"{name} longer than {max_chars} characters")
    return value


@dataclass(frozen=True)
class TranscriptAdd:
    """A new entry, stamped on the hearing timeline by exactly one of two fields.

    ``media_offset_ms`` is the timeline position itself. ``started_ms_ago`` says how long
    before sending the clerk began typing (measured on the client's own monotonic clock); the
    server subtracts it from its timeline position, so no client clock needs to be in step.
    """

    EVENT: ClassVar[str] = "transcript_add"
    speaker_participant_id: int
    text: str
    media_offset_ms: int | None
    started_ms_ago: int | None = None

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        given = [
            name for name in ("media_offset_ms", "started_ms_ago") if data.get(name) is not None
        ]
        if len(given) != 1:
            raise BadMessage("give exactly one of media_offset_ms and started_ms_ago")
        value = data[given[0]]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
            raise BadMessage(f"{given[0]} must be a non-negative integer")
        text = _record_text(data, "text", max_chars=MAX_TEXT_CHARS)
        assert text is not None
        speaker = _record_id(data, "speaker_participant_id")
        if given[0] == "media_offset_ms":
            return cls(speaker, text, value)
        return cls(speaker, text, None, value)


@dataclass(frozen=True)
class TranscriptEdit:
    EVENT: ClassVar[str] = "transcript_edit"
    entry_id: int
    text: str

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        text = _record_text(data, "text", max_chars=MAX_TEXT_CHARS)
        assert text is not None
        return cls(_record_id(data, "entry_id"), text)


@dataclass(frozen=True)
class TranscriptDelete:
    EVENT: ClassVar[str] = "transcript_delete"
    entry_id: int
    reason: str

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        reason = _record_text(data, "reason", max_chars=MAX_NOTE_CHARS)
        assert reason is not None
        return cls(_record_id(data, "entry_id"), reason)


@dataclass(frozen=True)
class TranscriptCorrection:
    EVENT: ClassVar[str] = "transcript_correction"
    entry_id: int
    proposed_text: str
    reason: str

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        proposed = _record_text(data, "proposed_text", max_chars=MAX_TEXT_CHARS)
        reason = _record_text(data, "reason", max_chars=MAX_NOTE_CHARS)
        assert proposed is not None and reason is not None
        return cls(_record_id(data, "entry_id"), proposed, reason)


@dataclass(frozen=True)
class TranscriptRule:
    """A ruling on a correction request; ``note`` is required to refuse, optional to accept."""

    EVENT: ClassVar[str] = "transcript_rule"
    correction_id: int
    accept: bool
    note: str | None

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        accept = _flag(data, "accept")
        note = _record_text(data, "note", max_chars=MAX_NOTE_CHARS, optional=accept)
        return cls(_record_id(data, "correction_id"), accept, note)


@dataclass(frozen=True)
class TranscriptLock:
    EVENT: ClassVar[str] = "transcript_lock"

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls()


@dataclass(frozen=True)
class TranscriptUnlock:
    EVENT: ClassVar[str] = "transcript_unlock"
    reason: str

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        reason = _record_text(data, "reason", max_chars=MAX_NOTE_CHARS)
        assert reason is not None
        return cls(reason)


@dataclass(frozen=True)
class TranscriptSync:
    EVENT: ClassVar[str] = "transcript_sync"
    since_version: int

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        since = data.get("since_version")
        if isinstance(since, bool) or not isinstance(since, int) or not 0 <= since < 2**53:
            raise BadMessage("since_version must be a non-negative integer")
        return cls(since)


TranscriptMessage = (
    TranscriptAdd | TranscriptEdit | TranscriptDelete | TranscriptCorrection | TranscriptRule
    | TranscriptLock | TranscriptUnlock | TranscriptSync
)  # fmt: skip
TRANSCRIPT_MESSAGES: tuple[type[TranscriptMessage], ...] = (
    TranscriptAdd, TranscriptEdit, TranscriptDelete, TranscriptCorrection, TranscriptRule,
    TranscriptLock, TranscriptUnlock, TranscriptSync,
)  # fmt: skip


@dataclass(frozen=True)
class RecordingPause:
    EVENT: ClassVar[str] = "recording_pause"
    reason: PauseReason

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        value = data.get("reason")
        if not isinstance(value, str) or value not in PauseReason.__members__.values():
            allowed = ", ".join(r.value for r in PauseReason)
            raise BadMessage(f"the recording may only pause for: {allowed}")
        return cls(PauseReason(value))


@dataclass(frozen=True)
class RecordingResume:
    EVENT: ClassVar[str] = "recording_resume"

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        return cls()


RecordingMessage = RecordingPause | RecordingResume


@dataclass(frozen=True)
class QualityReport:
    """What the sender's browser measured since its last report (see signaling/quality.py)."""

    EVENT: ClassVar[str] = "quality_report"
    loss: float
    rtt_ms: int | None

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        loss = data.get("loss")
        if isinstance(loss, bool) or not isinstance(loss, int | float) or not 0 <= loss <= 1:
            raise BadMessage("loss must be a number from 0 to 1")
        rtt = data.get("rtt_ms")
        if rtt is not None and (
            isinstance(rtt, bool) or not isinstance(rtt, int) or not 0 <= rtt <= 60_000
        ):
            raise BadMessage("rtt_ms must be null or an integer from 0 to 60000")
        return cls(float(loss), rtt)


MAX_COURT_MESSAGE_CHARS = 500


@dataclass(frozen=True)
class CourtMessage:
    """A short written message: staff to everyone (``to`` absent) or to one participant; anyone
    else to the court (the judge and clerk; ``to`` must be absent). See court_messages.py."""

    EVENT: ClassVar[str] = "message"
    text: str
    to: int | None

    @classmethod
    def from_wire(cls, data: Wire) -> Self:
        text = _record_text(data, "text", max_chars=MAX_COURT_MESSAGE_CHARS)
        assert text is not None
        if data.get("to") is None:
            return cls(text.strip(), None)
        try:
            return cls(text.strip(), _participant_id({"participant_id": data["to"]}))
        except BadMessage:
            raise BadMessage("to must be absent, null or a participant id") from None


Message = (
    Join | Offer | IceCandidate | Admit | Deny | Remove | ConfirmIdentity | Mute | SetAudioOnly
    | RaiseHand | LowerHand | SetStage | AcceptRules | Leave | TranscriptMessage
    | RecordingMessage | QualityReport | CourtMessage
)  # fmt: skip

_MESSAGE_TYPES: tuple[type[Message], ...] = (
    Join, Offer, IceCandidate, Admit, Deny, Remove, ConfirmIdentity, Mute, SetAudioOnly,
    RaiseHand, LowerHand, SetStage, AcceptRules, Leave,
)  # fmt: skip
Parser = Callable[[Wire], Message]
# The room's and media's events, then the transcript's: two families, two adapters.
PARSERS: dict[str, Parser] = {cls.EVENT: cls.from_wire for cls in _MESSAGE_TYPES}
PARSERS["unmute"] = Mute.unmute_from_wire
EVENTS = frozenset(PARSERS)
TRANSCRIPT_EVENTS = frozenset(cls.EVENT for cls in TRANSCRIPT_MESSAGES)
PARSERS.update({cls.EVENT: cls.from_wire for cls in TRANSCRIPT_MESSAGES})
PARSERS[RecordingPause.EVENT] = RecordingPause.from_wire
PARSERS[RecordingResume.EVENT] = RecordingResume.from_wire
PARSERS[QualityReport.EVENT] = QualityReport.from_wire
PARSERS[CourtMessage.EVENT] = CourtMessage.from_wire


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
    except (TypeError, ValueError):
        raise BadMessage(f"{event}: the payload is not plain JSON") from None
    if size > MAX_MESSAGE_BYTES:
        raise BadMessage(f"{event}: message larger than {MAX_MESSAGE_BYTES} bytes")
    return parser(data)
