"""Signing the locked transcript: manifests out, verified signatures and refusals in.

A signer asks for a manifest (``issue_manifest``), signs its exact bytes with their bound
ECDSA P-256 key, and sends the signature with the PNG of their handwritten signature
(``accept_signature``). The server re-checks everything the manifest states against the
hearing as it is now, verifies the signature (WebCrypto's raw r||s converted to DER), and only
then records it: a ``transcript.signature_added`` event in the hash-chained log, the bytes in
``signing_records``. A signer may instead refuse, with a reason (``signature.refused``). A
refused submission changes nothing. When every required signer has decided, the transcript is
finalised (``transcript.signed``) and the export bundle can be sealed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.canonical import canonical_sha256
from hearing_server.domain.clock import Clock, as_utc, iso_utc
from hearing_server.domain.exceptions import Conflict, ValidationFailed
from hearing_server.services.hearing_record import (
    HearingRecord,
    last_lock_seq,
    load_record,
    required_signers,
)
from hearing_server.services.hearings import access_hearing, get_hearing
from hearing_server.services.principals import Principal
from hearing_server.services.signer_keys import (
    bind_after_reconfirmation,
    key_to_json,
    parse_spki,
    signer_of,
    signing_key,
    waiting_keys,
)
from hearing_server.services.transcript_live import publish
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import Participant
from hearing_server.store.signing_models import SigningRecord
from transcript.exceptions import TranscriptError
from transcript.manifest import ManifestError, Signer, SigningManifest
from transcript.model import Transcript
from transcript.replica import TranscriptState
from transcript.roles import Actor, Role, parse_role

log = logging.getLogger(__name__)
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


@dataclass(frozen=True)
class SignerStatus:
    participant: Participant
    status: str  # pending | signed | refused
    record: SigningRecord | None

    def to_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "participant_id": self.participant.id,
            "name": self.participant.display_name,
            "role": self.participant.role,
            "status": self.status,
            "at": iso_utc(record.decided_at) if record else None,
            "reason": record.reason if record and record.decision == "refused" else None,
            "key_fingerprint": record.key_fingerprint if record else None,
            "manifest_sha256": record.manifest_sha256 if record and record.manifest else None,
        }


async def current_records(
    session: AsyncSession, record: HearingRecord, transcript: Transcript
) -> dict[int, SigningRecord]:
    """Decisions that still hold: made on the current lock, signatures the transcript holds."""
    if transcript.state is TranscriptState.DRAFTING:
        return {}
    lock_seq = last_lock_seq(record.events)
    held = {s.signer_id: s.manifest_hash for s in transcript.signatures}
    rows = (
        await session.exec(
            select(SigningRecord)
            .where(SigningRecord.hearing_id == record.hearing.id,
                   SigningRecord.lock_seq == lock_seq)
            .order_by(col(SigningRecord.id))
        )
    ).all()  # fmt: skip
    valid: dict[int, SigningRecord] = {}
    for row in rows:
        if row.decision == "signed" and held.get(str(row.participant_id)) != row.manifest_sha256:
            continue  # invalidated (a correction filed or refused while locked)
        if row.decision == "refused" and row.transcript_sha256 != _signed_hash(transcript):
            continue
        valid[row.participant_id] = row
    return valid


def _signed_hash(transcript: Transcript) -> str:
    """The hash signers sign: the record as locked for review (also once finalised)."""
    content = {**transcript.to_canonical(), "state": TranscriptState.LOCKED_FOR_REVIEW.value}
    return canonical_sha256(content)


def signing_statuses(
    record: HearingRecord, decided: dict[int, SigningRecord]
) -> list[SignerStatus]:
    statuses = []
    for participant in required_signers(record):
        row = decided.get(participant.id or 0)
        status = "pending" if row is None else row.decision
        statuses.append(SignerStatus(participant, status, row))
    return statuses


class SigningDesk:
    """The signing step of every hearing; the REST routes are thin adapters over it."""

    def __init__(self, *, database: Database, clock: Clock, data_dir: Path, courtrooms: Any):
        self.database = database
        self.clock = clock
        self.data_dir = data_dir
        self.courtrooms = courtrooms  # hearing_server.services.courtroom.CourtroomRegistry

    # -- reading -----------------------------------------------------------------------

    async def status(self, principal: Principal, hearing_id: int) -> dict[str, Any]:
        async with self.database.read() as session:
            access = await access_hearing(session, principal, hearing_id)
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            return await self._status(room.transcript, hearing_id, access.participant)

    async def _status(
        self, transcript: Transcript, hearing_id: int, me: Participant | None
    ) -> dict[str, Any]:
        async with self.database.read() as session:
            record = await load_record(session, hearing_id, self.data_dir)
            decided = await current_records(session, record, transcript)
            waiting = await waiting_keys(session, hearing_id)
        statuses = signing_statuses(record, decided)
        locked = transcript.state is not TranscriptState.DRAFTING
        return {
            "hearing_id": hearing_id,
            "transcript_state": transcript.state.value,
            "transcript_sha256": _signed_hash(transcript) if locked else None,
            "signers": [
                {**s.to_json(), "waiting_key": waiting.get(s.participant.id or 0)} for s in statuses
            ],
            "complete": locked and all(s.status != "pending" for s in statuses),
            "you": None if me is None else me.id,
        }

    # -- keys waiting for a second identity check ---------------------------------------

    async def bind_waiting_key(
        self, principal: Principal, hearing_id: int, participant_id: int, fingerprint: str
    ) -> dict[str, Any]:
        """The judge or clerk accepts a confirmed party's new key (see ``signer_keys``)."""
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            async with self.database.write() as session:
                access = await access_hearing(session, principal, hearing_id)
                key = await bind_after_reconfirmation(
                    session, access, participant_id, fingerprint,
                    actor=principal.actor, now=self.clock.now(),
                )  # fmt: skip
                reply = key_to_json(key)
        await self.announce(hearing_id)
        return reply

    async def announce(self, hearing_id: int) -> None:
        """Send the courtroom the signing status (a key now waits, or no longer does)."""
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            await self._emit(room, await self._status(room.transcript, hearing_id, None))

    async def _emit(self, room: Any, status: dict[str, Any]) -> None:
        await self.courtrooms.emit(
            "signing", {k: v for k, v in status.items() if k != "you"}, room.channel
        )

    # -- manifests ---------------------------------------------------------------------

    async def issue_manifest(
        self, principal: Principal, hearing_id: int, *, fingerprint: str, image_sha256: str
    ) -> SigningManifest:
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            async with self.database.read() as session:
                access = await access_hearing(session, principal, hearing_id)
                me = signer_of(access)
                await signing_key(session, access, me, fingerprint)
                record = await load_record(session, hearing_id, self.data_dir)
                decided = await current_records(session, record, room.transcript)
            self._require_open_for(me, room.transcript, decided)
            head = record.events[-1]
            return SigningManifest(
                hearing_id=hearing_id,
                case_number=record.hearing.case_number,
                transcript_id=room.transcript.transcript_id,
                transcript_sha256=room.transcript.canonical_sha256(),
                segments=tuple(s.ref for s in record.segments),
                event_log_size=head.seq,
                event_log_head=head.hash,
                signer=Signer(me.id or 0, me.display_name, me.role, fingerprint),
                signature_image_sha256=image_sha256,
                signed_at=iso_utc(self.clock.now()),
            )

    def _require_open_for(
        self, me: Participant, transcript: Transcript, decided: dict[int, SigningRecord]
    ) -> None:
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
            raise SigningRefused(
                "already_decided", f"you have already {decided[me.id or 0].decision}"
            )

    # -- signatures --------------------------------------------------------------------

    async def accept_signature(
        self,
        principal: Principal,
        hearing_id: int,
        *,
        manifest_bytes: bytes,
        signature: bytes,
        image_png: bytes,
    ) -> dict[str, Any]:
        try:
            manifest = SigningManifest.from_bytes(manifest_bytes)
        except ManifestError as exc:
            raise ValidationFailed(str(exc), fields={"manifest": str(exc)}) from None
        if not image_png.startswith(PNG_MAGIC) or len(image_png) > MAX_IMAGE_BYTES:
            raise ValidationFailed(
                "the signature image must be a PNG of at most 48 KiB",
                fields={"signature_image": "PNG"},
            )
        signature_der = der_signature(signature)
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            async with self.database.read() as session:
                access = await access_hearing(session, principal, hearing_id)
                me = signer_of(access)
                key = await signing_key(session, access, me, manifest.signer.key_fingerprint)
                record = await load_record(session, hearing_id, self.data_dir)
                decided = await current_records(session, record, room.transcript)
            self._check_manifest(manifest, record, me, room.transcript, image_png)
            self._require_open_for(me, room.transcript, decided)
            if not verify_ecdsa(key.spki_der, signature_der, manifest_bytes):
                raise SigningRefused(
                    "bad_signature", "the signature does not verify with your registered key"
                )
            now = self.clock.now()
            who = Actor(str(me.id), parse_role(me.role))
            try:
                delta = room.transcript.add_signature(
                    who, manifest_hash=manifest.sha256, at=iso_utc(now)
                )
            except TranscriptError as exc:
                raise SigningRefused(exc.code, exc.message) from None
            await publish(self.courtrooms, room, principal.actor, delta)
            async with self.database.write() as session:
                session.add(SigningRecord(
                    hearing_id=hearing_id, participant_id=me.id or 0, decision="signed",
                    lock_seq=last_lock_seq(record.events),
                    transcript_sha256=manifest.transcript_sha256,
                    key_fingerprint=key.fingerprint, manifest=manifest_bytes.decode("utf-8"),
                    manifest_sha256=manifest.sha256, signature_der=signature_der,
                    image_png=image_png, decided_at=now,
                ))  # fmt: skip
            log.info("hearing %s participant %s: signed manifest %s",
                     hearing_id, me.id, manifest.sha256[:16])  # fmt: skip
            return await self._after_decision(room, hearing_id, me)

    def _check_manifest(
        self,
        manifest: SigningManifest,
        record: HearingRecord,
        me: Participant,
        transcript: Transcript,
        image_png: bytes,
    ) -> None:
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
        age = as_utc(self.clock.now()) - as_utc(issued)
        if not timedelta(minutes=-1) <= age <= MANIFEST_TTL:
            raise SigningRefused("stale_manifest", "the manifest expired; ask for a new one")
        if hashlib.sha256(image_png).hexdigest() != manifest.signature_image_sha256:
            raise SigningRefused(
                "wrong_manifest", "the signature image is not the one the manifest names"
            )

    # -- refusals ----------------------------------------------------------------------

    async def refuse(self, principal: Principal, hearing_id: int, reason: str) -> dict[str, Any]:
        reason = reason.strip()
        if not reason or len(reason) > MAX_REASON_CHARS:
            raise ValidationFailed(
                "give a reason for refusing to sign", fields={"reason": "1-2000 characters"}
            )
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            async with self.database.read() as session:
                access = await access_hearing(session, principal, hearing_id)
                me = signer_of(access)
                record = await load_record(session, hearing_id, self.data_dir)
                decided = await current_records(session, record, room.transcript)
            self._require_open_for(me, room.transcript, decided)
            if str(me.id) in {s.signer_id for s in room.transcript.signatures}:
                raise SigningRefused("already_decided", "you have already signed")
            now = self.clock.now()
            content_hash = room.transcript.canonical_sha256()
            async with self.database.write() as session:
                hearing = await get_hearing(session, hearing_id, lock=True)
                await append_event(
                    session, hearing, actor=principal.actor, kind="signature.refused",
                    payload={"participant_id": me.id, "role": me.role, "reason": reason,
                             "transcript_sha256": content_hash},
                    at=now,
                )  # fmt: skip
                session.add(SigningRecord(
                    hearing_id=hearing_id, participant_id=me.id or 0, decision="refused",
                    lock_seq=last_lock_seq(record.events), transcript_sha256=content_hash,
                    reason=reason, decided_at=now,
                ))  # fmt: skip
            return await self._after_decision(room, hearing_id, me)

    async def _after_decision(self, room: Any, hearing_id: int, me: Participant) -> dict[str, Any]:
        """Tell the courtroom; once everyone has decided, finalise the transcript."""
        status = await self._status(room.transcript, hearing_id, me)
        if status["complete"] and room.transcript.signatures:
            judge = next((s for s in status["signers"] if s["role"] == "judge"), None)
            if judge is not None:
                delta = room.transcript.finalise(
                    Actor(str(judge["participant_id"]), Role.JUDGE), at=iso_utc(self.clock.now())
                )
                await publish(self.courtrooms, room, "system", delta)
                status["transcript_state"] = room.transcript.state.value
        await self._emit(room, status)
        return status
