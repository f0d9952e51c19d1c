"""What a transcript replica holds and how it is read: entries, corrections and signatures, the
canonical form that gets signed, snapshots, and the guards the rules (replica.py) check with.

Nothing here changes the transcript: only ``TranscriptReplica.apply`` does, one delta at a time.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Self

from hearing_server.domain.canonical import canonical_json
from transcript.deltas import TranscriptDelta
from transcript.exceptions import IllegalOperation, IllegalState, UnknownRecord
from transcript.records import CorrectionRequest, CorrectionStatus, Entry, Signature
from transcript.snapshot import SnapshotContents, build_snapshot, parse_snapshot
from transcript.values import check_name
from transcript.wire import JsonObject, JsonValue

CANONICAL_FORMAT = "hearing-transcript/1"


class TranscriptState(StrEnum):
    DRAFTING = "drafting"
    LOCKED_FOR_REVIEW = "locked_for_review"
    SIGNED = "signed"


_S = TranscriptState


class ReplicaState:
    """One hearing's transcript as held at ``version``; ``TranscriptReplica`` adds the rules."""

    def __init__(self, transcript_id: str, hearing_id: str) -> None:
        self.transcript_id = check_name(transcript_id, "transcript id")
        self.hearing_id = check_name(hearing_id, "hearing id")
        self.version = 0
        self.state = TranscriptState.DRAFTING
        self._entries: dict[int, Entry] = {}
        self._corrections: dict[int, CorrectionRequest] = {}
        self._signatures: dict[str, Signature] = {}
        self._log: list[TranscriptDelta] = []
        # Deltas up to this version were never seen here (the replica began from a snapshot).
        self._log_base = 0
        self._canonical_cache: tuple[tuple[int, TranscriptState], bytes] | None = None

    # -- reading ---------------------------------------------------------------------------

    def entries(self, *, include_deleted: bool = True) -> list[Entry]:
        """Entries in timeline order (media offset, then the order they were written)."""
        ordered = sorted(self._entries.values(), key=lambda entry: entry.sort_key)
        return ordered if include_deleted else [e for e in ordered if not e.is_deleted]

    def entry(self, entry_id: int) -> Entry:
        try:
            return self._entries[entry_id]
        except KeyError:
            raise UnknownRecord(f"no entry {entry_id} in transcript {self.transcript_id}") from None

    def corrections(self) -> list[CorrectionRequest]:
        return [self._corrections[key] for key in sorted(self._corrections)]

    def correction(self, correction_id: int) -> CorrectionRequest:
        try:
            return self._corrections[correction_id]
        except KeyError:
            raise UnknownRecord(f"no correction request {correction_id}") from None

    def pending_corrections(self) -> list[CorrectionRequest]:
        return [c for c in self.corrections() if c.status is CorrectionStatus.PENDING]

    @property
    def signatures(self) -> tuple[Signature, ...]:
        return tuple(self._signatures.values())

    # -- canonical form --------------------------------------------------------------------

    def to_canonical(self) -> JsonObject:
        """The record that gets signed: entries in order with current text and full history,
        tombstones, correction requests and rulings, and the state. Signatures and the
        replication version are not part of it (a signature cannot sign itself)."""
        return {
            "format": CANONICAL_FORMAT,
            "transcript_id": self.transcript_id,
            "hearing_id": self.hearing_id,
            "state": self.state.value,
            "entries": [entry.to_json() for entry in self.entries()],
            "corrections": [correction.to_json() for correction in self.corrections()],
        }

    def canonical_bytes(self) -> bytes:
        """``canonical_json(to_canonical())``: the bytes to hash and sign."""
        return self._canonical_bytes_in(self.state)

    def canonical_sha256(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def _canonical_sha256_if(self, state: TranscriptState) -> str:
        return hashlib.sha256(self._canonical_bytes_in(state)).hexdigest()

    def _canonical_bytes_in(self, state: TranscriptState) -> bytes:
        # Canonicalising thousands of entries takes a while; the content is fixed by
        # (version, state), so the last result is kept (lock computes it, apply re-checks it).
        key = (self.version, state)
        if self._canonical_cache is None or self._canonical_cache[0] != key:
            content = {**self.to_canonical(), "state": state.value}
            self._canonical_cache = (key, canonical_json(content))
        return self._canonical_cache[1]

    # -- guards the rules check with -------------------------------------------------

    def _signatures_json(self) -> list[JsonValue]:
        return [signature.to_json() for signature in self._signatures.values()]

    def _require_state(self, act: str, *allowed: TranscriptState) -> None:
        if self.state in allowed:
            return
        if self.state is _S.SIGNED:
            raise IllegalState(f"cannot {act}: the transcript is signed and can no longer change")
        if self.state is _S.LOCKED_FOR_REVIEW:
            raise IllegalState(
                f"cannot {act}: the transcript is locked for review; a judge must unlock it first"
                " (which invalidates any signatures collected)"
            )
        raise IllegalState(f"cannot {act}: the transcript is {self.state.value}")

    def _require_no_pending(self, act: str) -> None:
        pending = self.pending_corrections()
        if pending:
            ids = ", ".join(str(c.correction_id) for c in pending)
            raise IllegalState(f"cannot {act}: correction requests {ids} are pending a ruling")

    def _live_entry(self, entry_id: int, act: str) -> Entry:
        entry = self.entry(entry_id)
        if entry.is_deleted:
            raise IllegalOperation(f"cannot {act}: entry {entry_id} is deleted")
        return entry

    def _pending_correction(self, correction_id: int, act: str) -> CorrectionRequest:
        correction = self.correction(correction_id)
        if correction.status is not CorrectionStatus.PENDING:
            raise IllegalOperation(
                f"cannot {act}: correction request {correction_id} was already"
                f" {correction.status.value}"
            )
        return correction

    # -- snapshots -----------------------------------------------------------------------

    def snapshot(self) -> JsonObject:
        """The whole state at ``self.version``; pair it with ``deltas_since(self.version)``."""
        return build_snapshot(
            SnapshotContents(
                transcript_id=self.transcript_id,
                hearing_id=self.hearing_id,
                version=self.version,
                state=self.state.value,
                entries=[self._entries[key] for key in sorted(self._entries)],
                corrections=self.corrections(),
                signatures=list(self._signatures.values()),
            )
        )

    @classmethod
    def from_snapshot(cls, value: object) -> Self:
        """A replica at the snapshot's version; deltas before it are not available here."""
        contents = parse_snapshot(value)
        replica = cls(contents.transcript_id, contents.hearing_id)
        replica.version = replica._log_base = contents.version
        replica.state = TranscriptState(contents.state)
        replica._entries = {entry.entry_id: entry for entry in contents.entries}
        replica._corrections = {c.correction_id: c for c in contents.corrections}
        replica._signatures = {s.signer_id: s for s in contents.signatures}
        return replica
