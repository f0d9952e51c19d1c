"""The records a transcript is made of: entries with their versions, corrections, signatures.

All are frozen; the transcript replaces a record when it changes. Each has ``to_json`` (the
form used in canonical serialisation, snapshots and deltas) and a strict ``from_json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from transcript.exceptions import InvalidDelta, InvalidInput
from transcript.roles import Actor, Role, parse_role
from transcript.values import (
    MAX_NOTE_CHARS,
    check_name,
    check_offset_ms,
    check_optional_text,
    check_stage,
    check_text,
    normalise_time,
)
from transcript.wire import (
    JsonObject,
    as_object,
    read_int,
    read_list,
    read_optional_int,
    read_optional_str,
    read_str,
)


def actor_to_json(actor: Actor) -> JsonObject:
    return {"id": actor.actor_id, "role": actor.role.value}


def actor_from_json(value: object, where: str) -> Actor:
    obj = as_object(value, where)
    return Actor(read_str(obj, "id", where), parse_role(read_str(obj, "role", where)))


@dataclass(frozen=True)
class Speaker:
    """Who spoke, as they were named and in the role they held when the entry was written."""

    participant_id: str
    display_name: str
    role: Role

    def __post_init__(self) -> None:
        check_name(self.participant_id, "speaker participant id")
        check_name(self.display_name, "speaker display name")
        if not isinstance(self.role, Role):
            raise InvalidInput(f"speaker role {self.role!r} is not a Role")

    def to_json(self) -> JsonObject:
        return {
            "participant_id": self.participant_id,
            "display_name": self.display_name,
            "role": self.role.value,
        }

    @classmethod
    def from_json(cls, value: object, where: str = "speaker") -> Speaker:
        obj = as_object(value, where)
        return cls(
            participant_id=read_str(obj, "participant_id", where),
            display_name=read_str(obj, "display_name", where),
            role=parse_role(read_str(obj, "role", where)),
        )


class VersionCause(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    CORRECTION = "correction"


@dataclass(frozen=True)
class EntryVersion:
    """One text an entry has had; versions are numbered from 1 and never removed."""

    number: int
    text: str
    editor_id: str
    at: str
    cause: VersionCause
    correction_id: int | None = None

    def to_json(self) -> JsonObject:
        return {
            "version": self.number,
            "text": self.text,
            "editor_id": self.editor_id,
            "at": self.at,
            "cause": self.cause.value,
            "correction_id": self.correction_id,
        }

    @classmethod
    def from_json(cls, value: object, where: str) -> EntryVersion:
        obj = as_object(value, where)
        try:
            cause = VersionCause(read_str(obj, "cause", where))
        except ValueError:
            raise InvalidDelta(f"{where}.cause: unknown cause") from None
        return cls(
            number=read_int(obj, "version", where),
            text=check_text(read_str(obj, "text", where), f"{where}.text"),
            editor_id=read_str(obj, "editor_id", where),
            at=normalise_time(read_str(obj, "at", where), f"{where}.at"),
            cause=cause,
            correction_id=read_optional_int(obj, "correction_id", where),
        )


@dataclass(frozen=True)
class Tombstone:
    """An entry's deletion: the entry and all its texts stay in the record, marked deleted."""

    deleted_by: str
    at: str
    reason: str

    def to_json(self) -> JsonObject:
        return {"by": self.deleted_by, "at": self.at, "reason": self.reason}

    @classmethod
    def from_json(cls, value: object, where: str) -> Tombstone:
        obj = as_object(value, where)
        return cls(
            deleted_by=read_str(obj, "by", where),
            at=normalise_time(read_str(obj, "at", where), f"{where}.at"),
            reason=check_text(read_str(obj, "reason", where), f"{where}.reason"),
        )


@dataclass(frozen=True)
class Entry:
    entry_id: int
    speaker: Speaker
    media_offset_ms: int
    stage: str
    author_id: str
    created_at: str
    versions: tuple[EntryVersion, ...]
    tombstone: Tombstone | None = None

    @property
    def text(self) -> str:
        return self.versions[-1].text

    @property
    def edited_at(self) -> str | None:
        return self.versions[-1].at if len(self.versions) > 1 else None

    @property
    def is_deleted(self) -> bool:
        return self.tombstone is not None

    @property
    def sort_key(self) -> tuple[int, int]:
        """Entries are ordered on the hearing timeline; ties keep the order they were written."""
        return (self.media_offset_ms, self.entry_id)

    def to_json(self) -> JsonObject:
        """The entry's JSON form. Computed once per (immutable) entry: a snapshot of a long
        transcript reuses it for every unchanged entry. Callers must not mutate it."""
        return self._json

    @cached_property
    def json_text(self) -> str:
        """``to_json()`` as compact UTF-8 JSON text, once per entry: wire encoders splice it
        into a long snapshot instead of walking every entry's dicts again."""
        return json.dumps(self._json, ensure_ascii=False, separators=(",", ":"))

    @cached_property
    def _json(self) -> JsonObject:
        return {
            "entry_id": self.entry_id,
            "speaker": self.speaker.to_json(),
            "media_offset_ms": self.media_offset_ms,
            "stage": self.stage,
            "author_id": self.author_id,
            "created_at": self.created_at,
            "edited_at": self.edited_at,
            "text": self.text,
            "deleted": None if self.tombstone is None else self.tombstone.to_json(),
            "versions": [version.to_json() for version in self.versions],
        }

    @classmethod
    def from_json(cls, value: object, where: str = "entry") -> Entry:
        obj = as_object(value, where)
        versions = tuple(
            EntryVersion.from_json(item, f"{where}.versions[{index}]")
            for index, item in enumerate(read_list(obj, "versions", where))
        )
        if not versions or [v.number for v in versions] != list(range(1, len(versions) + 1)):
            raise InvalidDelta(f"{where}.versions: must be numbered 1, 2, ... without gaps")
        deleted = obj.get("deleted")
        entry = cls(
            entry_id=read_int(obj, "entry_id", where),
            speaker=Speaker.from_json(obj.get("speaker"), f"{where}.speaker"),
            media_offset_ms=check_offset_ms(read_int(obj, "media_offset_ms", where)),
            stage=check_stage(read_str(obj, "stage", where)),
            author_id=read_str(obj, "author_id", where),
            created_at=normalise_time(read_str(obj, "created_at", where), f"{where}.created_at"),
            versions=versions,
            tombstone=None if deleted is None else Tombstone.from_json(deleted, f"{where}.deleted"),
        )
        if read_str(obj, "text", where) != entry.text:
            raise InvalidDelta(f"{where}.text: differs from the last version's text")
        return entry


class CorrectionStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


@dataclass(frozen=True)
class CorrectionRequest:
    """A party's request to change an entry, and the ruling on it; both stay on the record."""

    correction_id: int
    entry_id: int
    entry_version: int
    requester: Actor
    proposed_text: str
    reason: str
    filed_at: str
    status: CorrectionStatus = CorrectionStatus.PENDING
    ruled_by: str | None = None
    ruled_at: str | None = None
    ruling_note: str | None = None

    def to_json(self) -> JsonObject:
        return {
            "correction_id": self.correction_id,
            "entry_id": self.entry_id,
            "entry_version": self.entry_version,
            "requester": actor_to_json(self.requester),
            "proposed_text": self.proposed_text,
            "reason": self.reason,
            "filed_at": self.filed_at,
            "status": self.status.value,
            "ruled_by": self.ruled_by,
            "ruled_at": self.ruled_at,
            "ruling_note": self.ruling_note,
        }

    @classmethod
    def from_json(cls, value: object, where: str = "correction") -> CorrectionRequest:
        obj = as_object(value, where)
        try:
            status = CorrectionStatus(read_str(obj, "status", where))
        except ValueError:
            raise InvalidDelta(f"{where}.status: unknown status") from None
        ruled_at = read_optional_str(obj, "ruled_at", where)
        return cls(
            correction_id=read_int(obj, "correction_id", where),
            entry_id=read_int(obj, "entry_id", where),
            entry_version=read_int(obj, "entry_version", where),
            requester=actor_from_json(obj.get("requester"), f"{where}.requester"),
            proposed_text=check_text(read_str(obj, "proposed_text", where), f"{where}.text"),
            reason=check_text(read_str(obj, "reason", where), f"{where}.reason"),
            filed_at=normalise_time(read_str(obj, "filed_at", where), f"{where}.filed_at"),
            status=status,
            ruled_by=read_optional_str(obj, "ruled_by", where),
            ruled_at=None if ruled_at is None else normalise_time(ruled_at, f"{where}.ruled_at"),
            ruling_note=check_optional_text(
                read_optional_str(obj, "ruling_note", where),
                f"{where}.note",
                max_chars=MAX_NOTE_CHARS,
            ),
        )


@dataclass(frozen=True)
class Signature:
    """An opaque signature record: who signed, over which manifest hash. Verified elsewhere."""

    signer_id: str
    manifest_hash: str
    signed_at: str

    def to_json(self) -> JsonObject:
        return {
            "signer_id": self.signer_id,
            "manifest_hash": self.manifest_hash,
            "signed_at": self.signed_at,
        }

    @classmethod
    def from_json(cls, value: object, where: str = "signature") -> Signature:
        obj: Mapping[str, object] = as_object(value, where)
        return cls(
            signer_id=read_str(obj, "signer_id", where),
            manifest_hash=read_str(obj, "manifest_hash", where),
            signed_at=normalise_time(read_str(obj, "signed_at", where), f"{where}.signed_at"),
        )
