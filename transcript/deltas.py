"""Change records: every act on a transcript yields one, to broadcast live and to log.

A delta carries the version it produces; a replica at version ``n`` applies the delta for
``n + 1`` and nothing else, so gaps and duplicates are caught instead of silently diverging.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from transcript.exceptions import InvalidDelta
from transcript.wire import JsonObject, as_object, read_int, read_str


class DeltaKind(StrEnum):
    ENTRY_ADDED = "transcript.entry_added"
    ENTRY_EDITED = "transcript.entry_edited"
    ENTRY_DELETED = "transcript.entry_deleted"
    CORRECTION_FILED = "transcript.correction_filed"
    CORRECTION_ACCEPTED = "transcript.correction_accepted"
    CORRECTION_REFUSED = "transcript.correction_refused"
    LOCKED = "transcript.locked"
    UNLOCKED = "transcript.unlocked"
    SIGNATURE_ADDED = "transcript.signature_added"
    SIGNED = "transcript.signed"


@dataclass(frozen=True)
class TranscriptDelta:
    """One change: ``kind`` names it (also the event-log kind), ``payload`` is JSON-safe.

    The payload always holds ``actor`` ({id, role}) and the data needed to apply the change
    to a replica at ``version - 1``; it must not be mutated once the delta exists.
    """

    transcript_id: str
    version: int
    kind: DeltaKind
    payload: JsonObject

    def to_wire(self) -> JsonObject:
        return {
            "transcript_id": self.transcript_id,
            "version": self.version,
            "kind": self.kind.value,
            "payload": self.payload,
        }

    @classmethod
    def from_wire(cls, value: object) -> TranscriptDelta:
        obj = as_object(value, "delta")
        try:
            kind = DeltaKind(read_str(obj, "kind", "delta"))
        except ValueError:
            raise InvalidDelta(f"delta.kind: unknown kind {obj.get('kind')!r}") from None
        version = read_int(obj, "version", "delta")
        if version < 1:
            raise InvalidDelta("delta.version: must be at least 1")
        payload = dict(as_object(obj.get("payload"), "delta.payload"))
        return cls(
            transcript_id=read_str(obj, "transcript_id", "delta"),
            version=version,
            kind=kind,
            payload=payload,  # type: ignore[arg-type]  # values are checked when applied
        )
