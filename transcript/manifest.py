"""The signing manifest: the exact bytes each signer's key signs (canonical JSON).

It binds the signer's signature to everything the hearing produced: the transcript's canonical
hash, every recording segment (path, SHA-256, timeline span) and their Merkle root (RFC 9162
hashing over each segment's canonical JSON), the event log up to a given event (its size and
that event's chain hash), the signer (id, name, role, key fingerprint), the hash of the
handwritten signature image, and the server's time. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hearing_server.domain.canonical import CanonicalJSONError, canonical_json
from hearing_server.domain.merkle import merkle_root

MANIFEST_FORMAT = "hearing-signing-manifest/1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(ValueError):
    """Bytes that are not a well-formed signing manifest."""


def _hex64(value: object, where: str) -> str:
    if not isinstance(value, str) or not _HEX64.match(value):
        raise ManifestError(f"{where}: expected 64 lowercase hex digits")
    return value


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ManifestError(f"{where}: expected a non-negative integer")
    return value


def _str(value: object, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 512:
        raise ManifestError(f"{where}: expected a non-empty string")
    return value


def _obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ManifestError(f"{where}: expected an object")
    return value


@dataclass(frozen=True, order=True)
class SegmentRef:
    """One recording segment as the bundle holds it (``path`` relative to the bundle root)."""

    start_ms: int
    end_ms: int
    path: str
    sha256: str
    size_bytes: int
    participant_id: str
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "sha256": self.sha256, "size_bytes": self.size_bytes,
            "participant_id": self.participant_id, "kind": self.kind,
            "start_ms": self.start_ms, "end_ms": self.end_ms,
        }  # fmt: skip

    @classmethod
    def from_json(cls, value: object, where: str) -> SegmentRef:
        obj = _obj(value, where)
        path = _str(obj.get("path"), f"{where}.path")
        if not path.startswith("recording/") or ".." in path or "\\" in path:
            raise ManifestError(f"{where}.path: must lie under recording/")
        return cls(
            start_ms=_int(obj.get("start_ms"), f"{where}.start_ms"),
            end_ms=_int(obj.get("end_ms"), f"{where}.end_ms"),
            path=path,
            sha256=_hex64(obj.get("sha256"), f"{where}.sha256"),
            size_bytes=_int(obj.get("size_bytes"), f"{where}.size_bytes"),
            participant_id=_str(obj.get("participant_id"), f"{where}.participant_id"),
            kind=_str(obj.get("kind"), f"{where}.kind"),
        )


def segments_merkle_root(segments: Sequence[SegmentRef]) -> str:
    """RFC 9162 Merkle tree hash over each segment's canonical JSON, in timeline order."""
    return merkle_root([canonical_json(s.to_json()) for s in segments]).hex()


@dataclass(frozen=True)
class Signer:
    participant_id: int
    name: str
    role: str
    key_fingerprint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id, "name": self.name, "role": self.role,
            "key_fingerprint": self.key_fingerprint,
        }  # fmt: skip


@dataclass(frozen=True)
class SigningManifest:
    hearing_id: int
    case_number: str
    transcript_id: str
    transcript_sha256: str
    segments: tuple[SegmentRef, ...]
    event_log_size: int
    event_log_head: str
    signer: Signer
    signature_image_sha256: str
    signed_at: str

    @property
    def segments_root(self) -> str:
        return segments_merkle_root(self.segments)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "hearing": {"id": self.hearing_id, "case_number": self.case_number},
            "transcript": {"id": self.transcript_id, "sha256": self.transcript_sha256},
            "recording": {
                "segments": [segment.to_json() for segment in self.segments],
                "merkle_root": self.segments_root,
            },
            "event_log": {"size": self.event_log_size, "head_hash": self.event_log_head},
            "signer": self.signer.to_json(),
            "signature_image_sha256": self.signature_image_sha256,
            "signed_at": self.signed_at,
        }

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_json())

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()

    @classmethod
    def from_bytes(cls, raw: bytes) -> SigningManifest:
        """Parse strictly: the bytes must be this manifest's canonical form, nothing else."""
        try:
            value = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ManifestError("manifest: not UTF-8 JSON") from None
        obj = _obj(value, "manifest")
        if obj.get("format") != MANIFEST_FORMAT:
            raise ManifestError(f"manifest.format: expected {MANIFEST_FORMAT}")
        hearing = _obj(obj.get("hearing"), "manifest.hearing")
        transcript = _obj(obj.get("transcript"), "manifest.transcript")
        recording = _obj(obj.get("recording"), "manifest.recording")
        event_log = _obj(obj.get("event_log"), "manifest.event_log")
        signer = _obj(obj.get("signer"), "manifest.signer")
        raw_segments = recording.get("segments")
        if not isinstance(raw_segments, list):
            raise ManifestError("manifest.recording.segments: expected a list")
        manifest = cls(
            hearing_id=_int(hearing.get("id"), "manifest.hearing.id"),
            case_number=_str(hearing.get("case_number"), "manifest.hearing.case_number"),
            transcript_id=_str(transcript.get("id"), "manifest.transcript.id"),
            transcript_sha256=_hex64(transcript.get("sha256"), "manifest.transcript.sha256"),
            segments=tuple(
                SegmentRef.from_json(item, f"manifest.recording.segments[{index}]")
                for index, item in enumerate(raw_segments)
            ),
            event_log_size=_int(event_log.get("size"), "manifest.event_log.size"),
            event_log_head=_hex64(event_log.get("head_hash"), "manifest.event_log.head_hash"),
            signer=Signer(
                participant_id=_int(signer.get("participant_id"), "manifest.signer.participant_id"),
                name=_str(signer.get("name"), "manifest.signer.name"),
                role=_str(signer.get("role"), "manifest.signer.role"),
                key_fingerprint=_hex64(
                    signer.get("key_fingerprint"), "manifest.signer.key_fingerprint"
                ),
            ),
            signature_image_sha256=_hex64(
                obj.get("signature_image_sha256"), "manifest.signature_image_sha256"
            ),
            signed_at=_str(obj.get("signed_at"), "manifest.signed_at"),
        )
        if recording.get("merkle_root") != manifest.segments_root:
            raise ManifestError("manifest.recording.merkle_root: does not match the segments")
        try:
            canonical = manifest.to_bytes()
        except CanonicalJSONError as exc:
            raise ManifestError(f"manifest: {exc}") from None
        if canonical != raw:
            raise ManifestError("manifest: not in canonical form (or has unknown fields)")
        return manifest
