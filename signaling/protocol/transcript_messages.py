"""Client → server messages of the live transcript (hearing_server/services/transcript_live.py).

Texts for the record are checked here for type and size only; the transcript's model checks
their content. Each class reads its fields in the order the record's checks always have
(``CHECK_ORDER``), so the first error a client sees is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from hearing_server.domain.validation import Prose
from signaling.protocol.wire_message import Count, Flag, RecordId, WireMessage
from transcript.values import MAX_NOTE_CHARS, MAX_TEXT_CHARS

EntryText = Annotated[str, Prose(max_chars=MAX_TEXT_CHARS)]
Note = Annotated[str, Prose(max_chars=MAX_NOTE_CHARS)]


@dataclass(frozen=True)
class TranscriptAdd(WireMessage):
    """A new entry, stamped on the hearing timeline by exactly one of two fields.

    ``media_offset_ms`` is the timeline position itself. ``started_ms_ago`` says how long
    before sending the clerk began typing (measured on the client's own monotonic clock); the
    server subtracts it from its timeline position, so no client clock needs to be in step.
    """

    EVENT: ClassVar[str] = "transcript_add"
    EXACTLY_ONE_OF = ("media_offset_ms", "started_ms_ago")
    CHECK_ORDER = ("media_offset_ms", "started_ms_ago", "text")
    speaker_participant_id: RecordId
    text: EntryText
    media_offset_ms: Count | None = None
    started_ms_ago: Count | None = None


@dataclass(frozen=True)
class EntryAct(WireMessage):
    """What the clerk does to one entry; the subclass names the act and adds its texts."""

    entry_id: RecordId


@dataclass(frozen=True)
class TranscriptEdit(EntryAct):
    EVENT: ClassVar[str] = "transcript_edit"
    CHECK_ORDER = ("text",)
    text: EntryText


@dataclass(frozen=True)
class TranscriptDelete(EntryAct):
    EVENT: ClassVar[str] = "transcript_delete"
    CHECK_ORDER = ("reason",)
    reason: Note


@dataclass(frozen=True)
class TranscriptCorrection(EntryAct):
    EVENT: ClassVar[str] = "transcript_correction"
    CHECK_ORDER = ("proposed_text", "reason")
    proposed_text: EntryText
    reason: Note


@dataclass(frozen=True)
class TranscriptRule(WireMessage):
    """A ruling on a correction request; ``note`` is required to refuse, optional to accept."""

    EVENT: ClassVar[str] = "transcript_rule"
    CHECK_ORDER = ("accept", "note")
    correction_id: RecordId
    accept: Flag
    note: Annotated[str | None, Prose(max_chars=MAX_NOTE_CHARS, optional_if="accept")]


class TranscriptLock(WireMessage):
    EVENT: ClassVar[str] = "transcript_lock"


@dataclass(frozen=True)
class TranscriptUnlock(WireMessage):
    EVENT: ClassVar[str] = "transcript_unlock"
    reason: Note


@dataclass(frozen=True)
class TranscriptSync(WireMessage):
    EVENT: ClassVar[str] = "transcript_sync"
    since_version: Count


TranscriptMessage = (
    TranscriptAdd | TranscriptEdit | TranscriptDelete | TranscriptCorrection | TranscriptRule
    | TranscriptLock | TranscriptUnlock | TranscriptSync
)  # fmt: skip
TRANSCRIPT_MESSAGES: tuple[type[TranscriptMessage], ...] = (
    TranscriptAdd, TranscriptEdit, TranscriptDelete, TranscriptCorrection, TranscriptRule,
    TranscriptLock, TranscriptUnlock, TranscriptSync,
)  # fmt: skip
