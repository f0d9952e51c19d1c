"""What the server checks before it records a signature or a refusal, and why it refuses.

Everything a signed manifest states is checked against the hearing as it is now; the signature
(WebCrypto's raw r||s, or DER) is verified with the signer's bound ECDSA P-256 key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from hearing_server.domain.clock import as_utc
from hearing_server.domain.exceptions import Conflict, ValidationFailed
from hearing_server.services.hearing_record import HearingRecord
from hearing_server.services.signer_keys import parse_spki
from hearing_server.store.models import Participant
from hearing_server.store.signing_models import SigningRecord
from transcript.manifest import ManifestError, SigningManifest
from transcript.model import Transcript
from transcript.replica import TranscriptState

MAX_IMAGE_BYTES = 48 * 1024
MAX_MANIFEST_BYTES = 64 * 1024
MAX_REASON_CHARS = 2000
MANIFEST_TTL = timedelta(minutes=30)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SigningRefused(Conflict):
    """A signature or refusal the server will not record; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def der_signature(signature: bytes) -> bytes:
    """WebCrypto's raw ``r || s`` (64 bytes) as DER; a DER signature is checked and kept."""
    if len(signature) == 64:
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        return encode_dss_signature(r, s)
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        raise SigningRefused("bad_signature", "the signature is neither raw r||s nor DER") from None
    if encode_dss_signature(r, s) != signature:
        raise SigningRefused("bad_signature", "the signature's DER is not canonical")
    return signature


def verify_ecdsa(spki_der: bytes, signature_der: bytes, data: bytes) -> bool:
    try:
        parse_spki(spki_der).verify(signature_der, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def parse_submission(manifest_bytes: bytes, image_png: bytes) -> SigningManifest:
    """The submitted manifest, and the image checked to be a small PNG."""
    try:
        manifest = SigningManifest.from_bytes(manifest_bytes)
    except ManifestError as exc:
        raise ValidationFailed(str(exc), fields={"manifest": str(exc)}) from None
    if not image_png.startswith(PNG_MAGIC) or len(image_png) > MAX_IMAGE_BYTES:
        raise ValidationFailed(
            "the signature image must be a PNG of at most 48 KiB",
            fields={"signature_image": "PNG"},
        )
    return manifest


def parse_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise ValidationFailed(
            "give a reason for refusing to sign", fields={"reason": "1-2000 characters"}
        )
    return reason


def require_open_for(
    me: Participant, transcript: Transcript, decided: dict[int, SigningRecord]
) -> None:
    """The transcript awaits ``me``'s decision: locked for review, no correction pending."""
    if transcript.state is not TranscriptState.LOCKED_FOR_REVIEW:
        raise SigningRefused(
            "transcript_not_locked",
            f"the transcript is {transcript.state.value}: it can be signed only while"
            " locked for review",
        )
    if transcript.pending_corrections():
        raise SigningRefused(
            "corrections_pending", "a correction request is pending a ruling; sign after it"
        )
    if me.id in decided:
        raise SigningRefused("already_decided", f"you have already {decided[me.id or 0].decision}")


def check_manifest(
    manifest: SigningManifest,
    record: HearingRecord,
    me: Participant,
    transcript: Transcript,
    image_png: bytes,
    *,
    now: datetime,
) -> None:
    """Everything the manifest states still holds ``now``, and it names ``me`` and the image."""
    signer = manifest.signer
    if manifest.hearing_id != record.hearing.id:
        raise SigningRefused("wrong_manifest", "the manifest is for another hearing")
    if (signer.participant_id, signer.role, signer.name) != (me.id, me.role, me.display_name):
        raise SigningRefused("wrong_manifest", "the manifest names another signer")
    if transcript.state is not TranscriptState.LOCKED_FOR_REVIEW:
        raise SigningRefused(
            "transcript_not_locked",
            f"the transcript is {transcript.state.value}: nothing was signed",
        )
    if manifest.transcript_sha256 != transcript.canonical_sha256():
        raise SigningRefused(
            "stale_manifest",
            "the transcript changed after this manifest was made; read it again and sign",
        )
    if manifest.segments != tuple(s.ref for s in record.segments):
        raise SigningRefused("stale_manifest", "the recording differs from the manifest's")
    event = next((e for e in record.events if e.seq == manifest.event_log_size), None)
    if event is None or event.hash != manifest.event_log_head:
        raise SigningRefused("stale_manifest", "the manifest's log head is not in the log")
    try:
        issued = datetime.fromisoformat(manifest.signed_at.replace("Z", "+00:00"))
    except ValueError:
        raise SigningRefused("wrong_manifest", "the manifest's time is not ISO 8601") from None
    age = as_utc(now) - as_utc(issued)
    if not timedelta(minutes=-1) <= age <= MANIFEST_TTL:
        raise SigningRefused("stale_manifest", "the manifest expired; ask for a new one")
    if hashlib.sha256(image_png).hexdigest() != manifest.signature_image_sha256:
        raise SigningRefused(
            "wrong_manifest", "the signature image is not the one the manifest names"
        )
