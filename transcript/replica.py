"""A transcript replica: the rules and ``apply``, as every holder of a transcript runs (what it
holds and how it is read: replica_state.py).

The server's ``Transcript`` (model.py) turns acts into deltas and applies them through this
very ``apply``; a client given a snapshot applies the same deltas, so the two cannot drift.
Role and state rules are checked here, on every delta: the actor travels in its payload.
States: drafting → locked_for_review → signed, and locked_for_review → drafting (unlock).
See model.py for what may happen to corrections while the transcript is locked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Self

from transcript.deltas import DeltaKind, TranscriptDelta
from transcript.exceptions import HistoryUnavailable, IllegalOperation, IllegalState, InvalidDelta
from transcript.records import (
    CorrectionRequest,
    CorrectionStatus,
    Entry,
    EntryVersion,
    Signature,
    Speaker,
    Tombstone,
    VersionCause,
    actor_from_json,
)
from transcript.replica_state import CANONICAL_FORMAT, ReplicaState, TranscriptState
from transcript.roles import Actor, Permission, require
from transcript.values import (
    MAX_NOTE_CHARS,
    check_name,
    check_offset_ms,
    check_optional_text,
    check_stage,
    check_text,
    normalise_time,
)
from transcript.wire import JsonObject, read_int, read_list, read_str

__all__ = ["CANONICAL_FORMAT", "TranscriptReplica", "TranscriptState"]

_S = TranscriptState


class TranscriptReplica(ReplicaState):
    """One hearing's transcript, changed only by ``apply``-ing deltas in version order."""

    def __init__(self, transcript_id: str, hearing_id: str) -> None:
        super().__init__(transcript_id, hearing_id)
        self._handlers: dict[DeltaKind, Callable[[JsonObject], None]] = {
            DeltaKind.ENTRY_ADDED: self._on_entry_added,
            DeltaKind.ENTRY_EDITED: self._on_entry_edited,
            DeltaKind.ENTRY_DELETED: self._on_entry_deleted,
            DeltaKind.CORRECTION_FILED: self._on_correction_filed,
            DeltaKind.CORRECTION_ACCEPTED: self._on_correction_accepted,
            DeltaKind.CORRECTION_REFUSED: self._on_correction_refused,
            DeltaKind.LOCKED: self._on_locked,
            DeltaKind.UNLOCKED: self._on_unlocked,
            DeltaKind.SIGNATURE_ADDED: self._on_signature_added,
            DeltaKind.SIGNED: self._on_signed,
        }

    # -- replication -----------------------------------------------------------------------

    def apply(self, delta: TranscriptDelta) -> None:
        """Apply the delta for version ``self.version + 1`` (all rules re-checked) or raise."""
        if delta.transcript_id != self.transcript_id:
            raise InvalidDelta(
                f"delta for transcript {delta.transcript_id} applied to {self.transcript_id}"
            )
        if delta.version != self.version + 1:
            raise InvalidDelta(
                f"expected the delta for version {self.version + 1}, got {delta.version}"
            )
        self._handlers[delta.kind](delta.payload)
        self.version = delta.version
        self._log.append(delta)

    def deltas_since(self, version: int) -> tuple[TranscriptDelta, ...]:
        """Exactly the deltas a replica at ``version`` has missed (empty when up to date)."""
        if version < 0 or version > self.version:
            raise InvalidDelta(f"version {version} is outside 0..{self.version}")
        if version < self._log_base:
            raise HistoryUnavailable(
                f"changes before version {self._log_base} are not held here: fetch a snapshot"
            )
        return tuple(self._log[version - self._log_base :])

    # -- rules, applied to every delta ---------------------------------------------------

    def _take_signatures(self, payload: JsonObject) -> None:
        """Check the delta names exactly the signatures held, then clear them."""
        listed = read_list(payload, "invalidated_signatures", "payload")
        if listed != self._signatures_json():
            raise InvalidDelta("invalidated_signatures differ from the signatures held here")
        self._signatures.clear()

    def _on_entry_added(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.WRITE_ENTRIES, "add entries")
        self._require_state("add an entry", _S.DRAFTING)
        entry_id = read_int(p, "entry_id", "payload")
        if entry_id != len(self._entries) + 1:
            raise InvalidDelta(f"entry id {entry_id} out of sequence")
        at = normalise_time(read_str(p, "at", "payload"))
        text = check_text(read_str(p, "text", "payload"), "entry text")
        self._entries[entry_id] = Entry(
            entry_id=entry_id,
            speaker=Speaker.from_json(p.get("speaker"), "payload.speaker"),
            media_offset_ms=check_offset_ms(read_int(p, "media_offset_ms", "payload")),
            stage=check_stage(read_str(p, "stage", "payload")),
            author_id=actor.actor_id,
            created_at=at,
            versions=(EntryVersion(1, text, actor.actor_id, at, VersionCause.CREATED),),
        )

    def _new_version(self, p: JsonObject, entry: Entry) -> int:
        number = read_int(p, "entry_version", "payload")
        if number != len(entry.versions) + 1:
            raise InvalidDelta(f"entry {entry.entry_id} version {number} out of sequence")
        return number

    def _on_entry_edited(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.WRITE_ENTRIES, "edit entries")
        self._require_state("edit an entry", _S.DRAFTING)
        entry = self._live_entry(read_int(p, "entry_id", "payload"), "edit it")
        number = self._new_version(p, entry)
        text = check_text(read_str(p, "text", "payload"), "entry text")
        if text == entry.text:
            raise IllegalOperation(f"entry {entry.entry_id} already has this text")
        at = normalise_time(read_str(p, "at", "payload"))
        version = EntryVersion(number, text, actor.actor_id, at, VersionCause.EDITED)
        self._entries[entry.entry_id] = _with_version(entry, version)

    def _on_entry_deleted(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.WRITE_ENTRIES, "delete entries")
        self._require_state("delete an entry", _S.DRAFTING)
        entry = self._live_entry(read_int(p, "entry_id", "payload"), "delete it")
        tombstone = Tombstone(
            deleted_by=actor.actor_id,
            at=normalise_time(read_str(p, "at", "payload")),
            reason=check_text(read_str(p, "reason", "payload"), "deletion reason"),
        )
        self._entries[entry.entry_id] = replace(entry, tombstone=tombstone)

    def _on_correction_filed(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.REQUEST_CORRECTION, "file correction requests")
        self._require_state("file a correction request", _S.DRAFTING, _S.LOCKED_FOR_REVIEW)
        entry = self._live_entry(read_int(p, "entry_id", "payload"), "request a correction")
        correction_id = read_int(p, "correction_id", "payload")
        if correction_id != len(self._corrections) + 1:
            raise InvalidDelta(f"correction id {correction_id} out of sequence")
        if read_int(p, "entry_version", "payload") != len(entry.versions):
            raise InvalidDelta("correction filed against a version this replica does not have")
        proposed = check_text(read_str(p, "proposed_text", "payload"), "proposed text")
        if proposed == entry.text:
            raise IllegalOperation(f"entry {entry.entry_id} already reads as proposed")
        reason = check_text(read_str(p, "reason", "payload"), "correction reason")
        self._take_signatures(p)
        self._corrections[correction_id] = CorrectionRequest(
            correction_id=correction_id,
            entry_id=entry.entry_id,
            entry_version=len(entry.versions),
            requester=actor,
            proposed_text=proposed,
            reason=reason,
            filed_at=normalise_time(read_str(p, "at", "payload")),
        )

    def _on_correction_accepted(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.RULE_ON_CORRECTION, "rule on correction requests")
        self._require_state("accept a correction", _S.DRAFTING)
        correction = self._pending_correction(read_int(p, "correction_id", "payload"), "accept it")
        entry = self._live_entry(correction.entry_id, "accept the correction (refuse it instead)")
        if read_int(p, "entry_id", "payload") != entry.entry_id:
            raise InvalidDelta("correction accepted against the wrong entry")
        number = self._new_version(p, entry)
        at = normalise_time(read_str(p, "at", "payload"))
        note = check_optional_text(p.get("note"), "ruling note", max_chars=MAX_NOTE_CHARS)  # type: ignore[arg-type]
        version = EntryVersion(
            number,
            correction.proposed_text,
            actor.actor_id,
            at,
            VersionCause.CORRECTION,
            correction.correction_id,
        )
        self._entries[entry.entry_id] = _with_version(entry, version)
        self._corrections[correction.correction_id] = _rule(
            correction, CorrectionStatus.ACCEPTED, actor, at, note
        )

    def _on_correction_refused(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.RULE_ON_CORRECTION, "rule on correction requests")
        self._require_state("refuse a correction", _S.DRAFTING, _S.LOCKED_FOR_REVIEW)
        correction = self._pending_correction(read_int(p, "correction_id", "payload"), "refuse it")
        note = check_text(read_str(p, "note", "payload"), "ruling note")
        at = normalise_time(read_str(p, "at", "payload"))
        self._take_signatures(p)
        self._corrections[correction.correction_id] = _rule(
            correction, CorrectionStatus.REFUSED, actor, at, note
        )

    def _on_locked(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.LOCK, "lock the transcript")
        self._require_state("lock the transcript", _S.DRAFTING)
        normalise_time(read_str(p, "at", "payload"))
        if read_str(p, "content_sha256", "payload") != self._canonical_sha256_if(
            _S.LOCKED_FOR_REVIEW
        ):
            raise InvalidDelta("the locked record's hash differs from this replica's")
        self.state = _S.LOCKED_FOR_REVIEW

    def _on_unlocked(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.UNLOCK, "unlock the transcript")
        self._require_state("unlock the transcript", _S.LOCKED_FOR_REVIEW)
        check_text(read_str(p, "reason", "payload"), "unlock reason")
        normalise_time(read_str(p, "at", "payload"))
        self._take_signatures(p)
        self.state = _S.DRAFTING

    def _on_signature_added(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.SIGN, "sign the transcript")
        self._require_state("sign", _S.LOCKED_FOR_REVIEW)
        self._require_no_pending("sign")
        if actor.actor_id in self._signatures:
            raise IllegalOperation(f"{actor.actor_id} has already signed")
        self._signatures[actor.actor_id] = Signature(
            signer_id=actor.actor_id,
            manifest_hash=check_name(read_str(p, "manifest_hash", "payload"), "manifest hash"),
            signed_at=normalise_time(read_str(p, "at", "payload")),
        )

    def _on_signed(self, p: JsonObject) -> None:
        actor = actor_from_json(p.get("actor"), "payload.actor")
        require(actor, Permission.FINALISE, "finalise the transcript")
        self._require_state("finalise the transcript", _S.LOCKED_FOR_REVIEW)
        self._require_no_pending("finalise the transcript")
        if not self._signatures:
            raise IllegalState("cannot finalise the transcript: nobody has signed it")
        normalise_time(read_str(p, "at", "payload"))
        self.state = _S.SIGNED

    @classmethod
    def replay(cls, transcript_id: str, hearing_id: str, deltas: Iterable[TranscriptDelta]) -> Self:
        """Rebuild from the event log: a fresh transcript with every delta applied in order."""
        replica = cls(transcript_id, hearing_id)
        for delta in deltas:
            replica.apply(delta)
        return replica


def _with_version(entry: Entry, version: EntryVersion) -> Entry:
    return replace(entry, versions=(*entry.versions, version))


def _rule(
    correction: CorrectionRequest,
    status: CorrectionStatus,
    actor: Actor,
    at: str,
    note: str | None,
) -> CorrectionRequest:
    return replace(
        correction, status=status, ruled_by=actor.actor_id, ruled_at=at, ruling_note=note
    )
