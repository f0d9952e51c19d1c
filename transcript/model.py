"""The server's transcript (笔录): a replica that also issues acts, each returning its delta.

Pure: no I/O, no clock (times are passed in), no database. Each act validates its arguments,
builds a ``TranscriptDelta`` and applies it through ``TranscriptReplica.apply`` — the same
path, with the same role and state rules, that replicas use for deltas from the wire.

Corrections while locked for review. A party may still file a correction request while the
transcript is locked (that is when the parties read it closely, and their objection must
reach the record), and a judge or clerk may refuse one while locked: the refusal and its
note go on the record. Accepting a correction changes an entry's text, so it needs the
transcript back in drafting: a judge unlocks it first, which invalidates the signatures
collected so far. Filing or refusing while locked changes the canonical record too, so any
signatures already collected are invalidated (the delta lists them), and nobody may sign or
finalise while a correction request is pending.
"""

from __future__ import annotations

from transcript.deltas import DeltaKind, TranscriptDelta
from transcript.records import Speaker, actor_to_json
from transcript.replica import TranscriptReplica, TranscriptState
from transcript.roles import Actor
from transcript.values import (
    MAX_NOTE_CHARS,
    check_name,
    check_offset_ms,
    check_optional_text,
    check_stage,
    check_text,
    normalise_time,
)
from transcript.wire import JsonObject


class Transcript(TranscriptReplica):
    """The authoritative transcript of one hearing; every act returns the delta it applied."""

    # -- acts ------------------------------------------------------------------------------

    def add_entry(
        self,
        actor: Actor,
        *,
        speaker: Speaker,
        text: str,
        media_offset_ms: int,
        stage: str,
        at: str | int,
    ) -> TranscriptDelta:
        return self._commit(
            DeltaKind.ENTRY_ADDED,
            actor,
            {
                "entry_id": len(self._entries) + 1,
                "speaker": speaker.to_json(),
                "text": check_text(text, "entry text"),
                "media_offset_ms": check_offset_ms(media_offset_ms),
                "stage": check_stage(stage),
                "at": normalise_time(at),
            },
        )

    def edit_entry(
        self, actor: Actor, entry_id: int, *, text: str, at: str | int
    ) -> TranscriptDelta:
        entry = self.entry(entry_id)
        return self._commit(
            DeltaKind.ENTRY_EDITED,
            actor,
            {
                "entry_id": entry_id,
                "entry_version": len(entry.versions) + 1,
                "text": check_text(text, "entry text"),
                "at": normalise_time(at),
            },
        )

    def delete_entry(
        self, actor: Actor, entry_id: int, *, reason: str, at: str | int
    ) -> TranscriptDelta:
        self.entry(entry_id)
        return self._commit(
            DeltaKind.ENTRY_DELETED,
            actor,
            {
                "entry_id": entry_id,
                "reason": check_text(reason, "deletion reason", max_chars=MAX_NOTE_CHARS),
                "at": normalise_time(at),
            },
        )

    def file_correction(
        self, actor: Actor, entry_id: int, *, proposed_text: str, reason: str, at: str | int
    ) -> TranscriptDelta:
        entry = self.entry(entry_id)
        return self._commit(
            DeltaKind.CORRECTION_FILED,
            actor,
            {
                "correction_id": len(self._corrections) + 1,
                "entry_id": entry_id,
                "entry_version": len(entry.versions),
                "proposed_text": check_text(proposed_text, "proposed text"),
                "reason": check_text(reason, "correction reason", max_chars=MAX_NOTE_CHARS),
                "at": normalise_time(at),
                "invalidated_signatures": self._signatures_json(),
            },
        )

    def accept_correction(
        self, actor: Actor, correction_id: int, *, note: str | None = None, at: str | int
    ) -> TranscriptDelta:
        correction = self.correction(correction_id)
        entry = self.entry(correction.entry_id)
        return self._commit(
            DeltaKind.CORRECTION_ACCEPTED,
            actor,
            {
                "correction_id": correction_id,
                "entry_id": entry.entry_id,
                "entry_version": len(entry.versions) + 1,
                "note": check_optional_text(note, "ruling note", max_chars=MAX_NOTE_CHARS),
                "at": normalise_time(at),
            },
        )

    def refuse_correction(
        self, actor: Actor, correction_id: int, *, note: str, at: str | int
    ) -> TranscriptDelta:
        self.correction(correction_id)
        return self._commit(
            DeltaKind.CORRECTION_REFUSED,
            actor,
            {
                "correction_id": correction_id,
                "note": check_text(note, "ruling note", max_chars=MAX_NOTE_CHARS),
                "at": normalise_time(at),
                "invalidated_signatures": self._signatures_json(),
            },
        )

    def lock(self, actor: Actor, *, at: str | int) -> TranscriptDelta:
        """Lock for review; the delta carries the canonical hash of the locked record."""
        # Only hash when the lock can succeed; otherwise apply refuses it with the reason.
        content_sha256 = ""
        if self.state is TranscriptState.DRAFTING:
            content_sha256 = self._canonical_sha256_if(TranscriptState.LOCKED_FOR_REVIEW)
        return self._commit(
            DeltaKind.LOCKED, actor, {"at": normalise_time(at), "content_sha256": content_sha256}
        )

    def unlock(self, actor: Actor, *, reason: str, at: str | int) -> TranscriptDelta:
        """Back to drafting (judge only); the delta lists the signatures this invalidates."""
        return self._commit(
            DeltaKind.UNLOCKED,
            actor,
            {
                "reason": check_text(reason, "unlock reason", max_chars=MAX_NOTE_CHARS),
                "at": normalise_time(at),
                "invalidated_signatures": self._signatures_json(),
            },
        )

    def add_signature(self, actor: Actor, *, manifest_hash: str, at: str | int) -> TranscriptDelta:
        """Record that ``actor`` signed; the signature itself is checked outside this model."""
        return self._commit(
            DeltaKind.SIGNATURE_ADDED,
            actor,
            {"manifest_hash": check_name(manifest_hash, "manifest hash"), "at": normalise_time(at)},
        )

    def finalise(self, actor: Actor, *, at: str | int) -> TranscriptDelta:
        """locked_for_review → signed, once signatures are in and no correction is pending."""
        return self._commit(DeltaKind.SIGNED, actor, {"at": normalise_time(at)})

    # -- plumbing --------------------------------------------------------------------------

    def _commit(self, kind: DeltaKind, actor: Actor, payload: JsonObject) -> TranscriptDelta:
        delta = TranscriptDelta(
            self.transcript_id, self.version + 1, kind, {"actor": actor_to_json(actor), **payload}
        )
        self.apply(delta)
        return delta
