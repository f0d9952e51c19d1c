"""Signing the locked transcript: manifests out, verified signatures and refusals in.

A signer asks for a manifest (``issue_manifest``), signs its exact bytes with their bound
ECDSA P-256 key, and sends the signature with the PNG of their handwritten signature
(``accept_signature``). The server re-checks everything the manifest states against the
hearing as it is now, verifies the signature (``signing_checks``), and only then records it:
a ``transcript.signature_added`` event in the hash-chained log, the bytes in
``signing_records``. A signer may instead refuse, with a reason (``signature.refused``). A
refused submission changes nothing. When every required signer has decided, the transcript is
finalised (``transcript.signed``) and the export bundle can be sealed.

Each decision is one transaction: its event, its ``signing_records`` row and, for the last
one, the ``transcript.signed`` event are committed together or not at all. The courtroom hears
of it (``transcript_delta``, ``signing``) only after the commit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.clock import Clock, iso_utc
from hearing_server.services.courtroom import Courtroom, CourtroomRegistry
from hearing_server.services.hearing_record import last_lock_seq, load_record
from hearing_server.services.hearings import access_hearing, get_hearing
from hearing_server.services.principals import Principal
from hearing_server.services.signer_keys import (
    bind_after_reconfirmation,
    key_to_json,
    signer_of,
    signing_key,
)
from hearing_server.services.signing_checks import (
    SigningRefused,
    check_manifest,
    der_signature,
    parse_reason,
    parse_submission,
    require_open_for,
    verify_ecdsa,
)
from hearing_server.services.signing_status import current_records, signing_status
from hearing_server.services.transcript_store import rebuild_transcript
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event, load_events
from hearing_server.store.models import Hearing, Participant
from hearing_server.store.signing_models import SigningRecord
from transcript.deltas import TranscriptDelta
from transcript.exceptions import TranscriptError
from transcript.manifest import Signer, SigningManifest
from transcript.roles import Actor, Role, parse_role

log = logging.getLogger(__name__)


class SigningDesk:
    """The signing step of every hearing; the REST routes are thin adapters over it."""

    def __init__(
        self, *, database: Database, clock: Clock, data_dir: Path, courtrooms: CourtroomRegistry
    ) -> None:
        self.database = database
        self.clock = clock
        self.data_dir = data_dir
        self.courtrooms = courtrooms

    # -- reading -----------------------------------------------------------------------

    async def status(self, principal: Principal, hearing_id: int) -> dict[str, Any]:
        async with self.database.read() as session:
            access = await access_hearing(session, principal, hearing_id)
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            return await self._status(room, access.participant)

    async def _status(self, room: Courtroom, me: Participant | None) -> dict[str, Any]:
        async with self.database.read() as session:
            return await signing_status(
                session, room.transcript, room.hearing_id, me, data_dir=self.data_dir
            )

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
            await self._emit(room, await self._status(room, None))

    async def _emit(self, room: Courtroom, status: dict[str, Any]) -> None:
        await self.courtrooms.to_room(
            room, "signing", {k: v for k, v in status.items() if k != "you"}
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
            require_open_for(me, room.transcript, decided)
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

    # -- decisions ---------------------------------------------------------------------

    async def accept_signature(
        self,
        principal: Principal,
        hearing_id: int,
        *,
        manifest_bytes: bytes,
        signature: bytes,
        image_png: bytes,
    ) -> dict[str, Any]:
        manifest = parse_submission(manifest_bytes, image_png)
        signature_der = der_signature(signature)
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            async with self.database.read() as session:
                access = await access_hearing(session, principal, hearing_id)
                me = signer_of(access)
                key = await signing_key(session, access, me, manifest.signer.key_fingerprint)
                record = await load_record(session, hearing_id, self.data_dir)
                decided = await current_records(session, record, room.transcript)
            check_manifest(manifest, record, me, room.transcript, image_png, now=self.clock.now())
            require_open_for(me, room.transcript, decided)
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
            async with self._deciding(room) as session:
                hearing = await get_hearing(session, hearing_id, lock=True)
                await _log_delta(session, hearing, principal.actor, delta, now)
                session.add(SigningRecord(
                    hearing_id=hearing_id, participant_id=me.id or 0, decision="signed",
                    lock_seq=last_lock_seq(record.events),
                    transcript_sha256=manifest.transcript_sha256,
                    key_fingerprint=key.fingerprint, manifest=manifest_bytes.decode("utf-8"),
                    manifest_sha256=manifest.sha256, signature_der=signature_der,
                    image_png=image_png, decided_at=now,
                ))  # fmt: skip
                status, finalised = await self._conclude(session, room, hearing, me)
            log.info("hearing %s participant %s: signed manifest %s",
                     hearing_id, me.id, manifest.sha256[:16])  # fmt: skip
            return await self._tell(room, status, delta, finalised)

    async def refuse(self, principal: Principal, hearing_id: int, reason: str) -> dict[str, Any]:
        reason = parse_reason(reason)
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            async with self.database.read() as session:
                access = await access_hearing(session, principal, hearing_id)
                me = signer_of(access)
                record = await load_record(session, hearing_id, self.data_dir)
                decided = await current_records(session, record, room.transcript)
            require_open_for(me, room.transcript, decided)
            if str(me.id) in {s.signer_id for s in room.transcript.signatures}:
                raise SigningRefused("already_decided", "you have already signed")
            now = self.clock.now()
            content_hash = room.transcript.canonical_sha256()
            async with self._deciding(room) as session:
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
                status, finalised = await self._conclude(session, room, hearing, me)
            return await self._tell(room, status, None, finalised)

    @asynccontextmanager
    async def _deciding(self, room: Courtroom) -> AsyncIterator[AsyncSession]:
        """One decision's write transaction; if it is not committed, the courtroom's
        transcript (which already applied the decision's deltas) is rebuilt from the log."""
        try:
            async with self.database.write() as session:
                yield session
        except BaseException:
            log.warning("hearing %s: signing decision not committed; rebuilding the transcript",
                        room.hearing_id)  # fmt: skip
            async with self.database.read() as session:
                rows = await load_events(session, room.hearing_id)
            room.transcript = rebuild_transcript(
                room.hearing_id, [(row.kind, json.loads(row.payload)) for row in rows]
            )
            raise

    async def _conclude(
        self, session: AsyncSession, room: Courtroom, hearing: Hearing, me: Participant
    ) -> tuple[dict[str, Any], TranscriptDelta | None]:
        """In the decision's transaction: the status with it; once everyone has decided (and
        someone signed), the transcript finalised and ``transcript.signed`` logged too."""
        await session.flush()
        status = await signing_status(
            session, room.transcript, room.hearing_id, me, data_dir=self.data_dir
        )
        if not (status["complete"] and room.transcript.signatures):
            return status, None
        judge = next((s for s in status["signers"] if s["role"] == "judge"), None)
        if judge is None:
            return status, None
        now = self.clock.now()
        finalised = room.transcript.finalise(
            Actor(str(judge["participant_id"]), Role.JUDGE), at=iso_utc(now)
        )
        await _log_delta(session, hearing, "system", finalised, now)
        status["transcript_state"] = room.transcript.state.value
        return status, finalised

    async def _tell(
        self,
        room: Courtroom,
        status: dict[str, Any],
        signed: TranscriptDelta | None,
        finalised: TranscriptDelta | None,
    ) -> dict[str, Any]:
        """After the commit: the transcript's deltas to whoever holds it, then the status."""
        for delta in (signed, finalised):
            if delta is not None:
                await _send_delta(self.courtrooms, room, delta)
        await self._emit(room, status)
        return status


async def _log_delta(
    session: AsyncSession, hearing: Hearing, actor: str, delta: TranscriptDelta, at: datetime
) -> None:
    await append_event(
        session, hearing, actor=actor, kind=delta.kind.value, payload=delta.to_wire(), at=at
    )


async def _send_delta(registry: CourtroomRegistry, room: Courtroom, delta: TranscriptDelta) -> None:
    """As ``transcript_live.publish`` sends a delta: to the admitted and the staff."""
    await registry.to_admitted(room, "transcript_delta", delta.to_wire())
