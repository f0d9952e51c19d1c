"""Signer keys: each signer's ECDSA P-256 public key, made non-extractable in their browser.

A party's browser registers its key (SPKI) as soon as it has a session; the key becomes usable
for signing when the judge confirms the party's identity: the fingerprint (SHA-256 of the DER
SPKI) is then written to the hearing's event log against the participant
(``signer_key.bound``). A key registered after that confirmation stays unusable (it is
"waiting") until the judge or clerk checks the party's identity again and accepts that very key
(a party who changed phone, or whose browser lost its key or session); and a key is usable only
from the session that registered it. Judge and clerk are known by their staff sign-in, so their
keys are bound at registration.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from hearing_server.domain.roles import ROLES_FOR, Permission
from hearing_server.services.hearings import HearingAccess, get_hearing
from hearing_server.services.principals import PartyPrincipal, Principal
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import STAFF_PARTICIPANT_ROLES, Hearing, Participant
from hearing_server.store.signing_models import SignerKey

log = logging.getLogger(__name__)
MAX_SPKI_BYTES = 512
# Keys one seat may register in a hearing (each is logged): a phone or two, reloads, a new
# phone; more is a misbehaving client filling the hearing's log.
MAX_KEYS_PER_SEAT = 12
SIGNING_ROLES = ROLES_FOR[Permission.SIGN]


class KeyNotWaiting(Conflict):
    """No key of this participant is waiting for a second identity check (or not that one)."""

    code = "key_not_waiting"


class TooManyKeys(Conflict):
    code = "too_many_keys"


class KeyRefused(Forbidden):
    """The key named in a signature cannot sign for this caller (and why)."""

    code = "key_not_registered"


def parse_spki(der: bytes) -> ec.EllipticCurvePublicKey:
    """A DER SubjectPublicKeyInfo holding a P-256 public key, or ``ValidationFailed``."""
    if not 0 < len(der) <= MAX_SPKI_BYTES:
        raise ValidationFailed("public key: not a P-256 SubjectPublicKeyInfo")
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        raise ValidationFailed("public key: not a DER SubjectPublicKeyInfo") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise ValidationFailed("public key: must be ECDSA on P-256")
    return key


def spki_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def spki_pem(der: bytes) -> bytes:
    return parse_spki(der).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def decode_base64(value: str, what: str, *, max_bytes: int) -> bytes:
    if len(value) > (max_bytes * 4) // 3 + 4:
        raise ValidationFailed(f"{what} is too large", fields={what: f"at most {max_bytes} bytes"})
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(f"{what} is not base64", fields={what: "base64"}) from None


@dataclass(frozen=True)
class SessionRef:
    kind: str  # "party" | "staff"
    session_id: int

    @classmethod
    def of(cls, principal: Principal) -> SessionRef:
        kind = "party" if isinstance(principal, PartyPrincipal) else "staff"
        return cls(kind, principal.session_id)


def signer_of(access: HearingAccess) -> Participant:
    """The caller's seat in the hearing, if that seat may sign."""
    participant = access.participant
    if participant is None or participant.id is None:
        raise Forbidden("you have no seat in this hearing")
    if participant.role not in SIGNING_ROLES:
        raise Forbidden(f"a {participant.role} does not sign the transcript")
    return participant


def key_to_json(key: SignerKey) -> dict[str, object]:
    return {
        "fingerprint": key.fingerprint,
        "bound": key.bound_at is not None,
        "bound_by": key.bound_by or None,
    }


async def register_key(
    session: AsyncSession, access: HearingAccess, der: bytes, *, actor: str, now: datetime
) -> tuple[SignerKey, bool]:
    """Store the caller's public key (idempotent per session); log it; bind a staff key.

    Returns the key and whether it is new (a repeat from the same session changes nothing)."""
    participant = signer_of(access)
    assert participant.id is not None and access.hearing.id is not None
    parse_spki(der)
    fingerprint = spki_fingerprint(der)
    ref = SessionRef.of(access.principal)
    existing = (
        await session.exec(
            select(SignerKey).where(
                SignerKey.participant_id == participant.id,
                SignerKey.fingerprint == fingerprint,
                SignerKey.session_kind == ref.kind,
                SignerKey.session_id == ref.session_id,
            )
        )
    ).first()
    if existing is not None:
        return existing, False
    hearing = await get_hearing(session, access.hearing.id, lock=True)
    registered = (
        await session.exec(
            select(func.count()).where(col(SignerKey.participant_id) == participant.id)
        )
    ).one()
    if registered >= MAX_KEYS_PER_SEAT:
        raise TooManyKeys(
            f"{registered} signing keys are already registered for you in this hearing;"
            " ask the court"
        )
    key = SignerKey(
        hearing_id=access.hearing.id, participant_id=participant.id, fingerprint=fingerprint,
        spki_der=der, session_kind=ref.kind, session_id=ref.session_id, registered_at=now,
    )  # fmt: skip
    staff = participant.role in STAFF_PARTICIPANT_ROLES
    payload = {
        "participant_id": participant.id,
        "fingerprint": fingerprint,
        "algorithm": "ECDSA-P256-SHA256",
        "identity_confirmed_before": participant.identity_verified and not staff,
    }
    await append_event(
        session, hearing, actor=actor, kind="signer_key.registered", payload=payload, at=now
    )
    if staff:
        await _bind(session, hearing, key, actor=actor, by="staff_sign_in", now=now)
    session.add(key)
    await session.flush()
    log.info("hearing %s participant %s: signer key %s registered",
             access.hearing.id, participant.id, fingerprint[:16])  # fmt: skip
    return key, True


async def _bind(
    session: AsyncSession, hearing: Hearing, key: SignerKey, *, actor: str, by: str, now: datetime
) -> None:
    key.bound_at = now
    key.bound_by = by
    session.add(key)
    await append_event(
        session, hearing, actor=actor, kind="signer_key.bound",
        payload={"participant_id": key.participant_id, "fingerprint": key.fingerprint, "by": by},
        at=now,
    )  # fmt: skip


async def bind_on_identity_confirmed(
    session: AsyncSession, hearing_id: int, participant_id: int, *, actor: str, now: datetime
) -> SignerKey | None:
    """The judge confirmed the participant's identity: bind their latest registered key."""
    key = (
        await session.exec(
            select(SignerKey)
            .where(SignerKey.hearing_id == hearing_id, SignerKey.participant_id == participant_id)
            .order_by(col(SignerKey.id).desc())
        )
    ).first()
    if key is None or key.bound_at is not None:
        return None
    hearing = await get_hearing(session, hearing_id, lock=True)
    await _bind(session, hearing, key, actor=actor, by="identity_confirmation", now=now)
    await session.flush()
    return key


async def signing_key(
    session: AsyncSession, access: HearingAccess, participant: Participant, fingerprint: str
) -> SignerKey:
    """The key with ``fingerprint`` if it may sign for this caller now; else ``KeyRefused``."""
    rows = (
        await session.exec(
            select(SignerKey).where(
                SignerKey.participant_id == participant.id, SignerKey.fingerprint == fingerprint
            )
        )
    ).all()
    if not rows:
        raise KeyRefused("this key is not registered for you in this hearing")
    ref = SessionRef.of(access.principal)
    mine = [k for k in rows if (k.session_kind, k.session_id) == (ref.kind, ref.session_id)]
    if not mine:
        raise KeyRefused("this key was registered from another session")
    bound = [k for k in mine if k.bound_at is not None]
    if not bound:
        raise KeyRefused(
            "this key was registered after your identity was confirmed; it cannot sign"
        )
    return bound[0]


async def bound_keys(session: AsyncSession, hearing_id: int) -> dict[int, SignerKey]:
    """Each participant's latest bound key."""
    rows = (
        await session.exec(
            select(SignerKey)
            .where(SignerKey.hearing_id == hearing_id, col(SignerKey.bound_at).is_not(None))
            .order_by(col(SignerKey.id))
        )
    ).all()
    return {row.participant_id: row for row in rows}


async def waiting_keys(session: AsyncSession, hearing_id: int) -> dict[int, str]:
    """Confirmed parties whose newest key is unbound: participant id -> that key's fingerprint.

    Their identity was confirmed before this key arrived, so only a second confirmation (by
    the judge or clerk, ``bind_after_reconfirmation``) makes it a signing key."""
    rows = (
        await session.exec(
            select(SignerKey, Participant)
            .join(Participant, col(Participant.id) == col(SignerKey.participant_id))
            .where(SignerKey.hearing_id == hearing_id)
            .order_by(col(SignerKey.id))
        )
    ).all()
    newest = {participant.id: (key, participant) for key, participant in rows}
    return {
        pid: key.fingerprint
        for pid, (key, participant) in newest.items()
        if pid is not None and key.bound_at is None and participant.identity_verified
    }


async def bind_after_reconfirmation(
    session: AsyncSession,
    access: HearingAccess,
    participant_id: int,
    fingerprint: str,
    *,
    actor: str,
    now: datetime,
) -> SignerKey:
    """The judge or clerk checked a confirmed party's identity again: bind their waiting key.

    ``fingerprint`` names the key the party reads out from their screen, so that what the court
    vouches for is that device's key and not whatever key arrived last."""
    if access.participant is None or access.participant.role not in STAFF_PARTICIPANT_ROLES:
        raise Forbidden("only the hearing's judge or clerk may accept a signing key")
    hearing_id = access.hearing.id
    assert hearing_id is not None
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.hearing_id != hearing_id:
        raise NotFound(f"participant {participant_id} is not in this hearing")
    if participant.role in STAFF_PARTICIPANT_ROLES:
        raise KeyNotWaiting("judge and clerk keys are bound by their staff sign-in")
    if not participant.identity_verified:
        raise KeyNotWaiting("confirm this participant's identity first (that binds their key)")
    hearing = await get_hearing(session, hearing_id, lock=True)  # keys register under it too
    key = (
        await session.exec(
            select(SignerKey)
            .where(SignerKey.participant_id == participant_id)
            .order_by(col(SignerKey.id).desc())
        )
    ).first()
    if key is None or key.bound_at is not None or key.fingerprint != fingerprint:
        raise KeyNotWaiting("this is not the participant's waiting key (it may have changed)")
    await _bind(session, hearing, key, actor=actor, by="identity_reconfirmation", now=now)
    await session.flush()
    log.info("hearing %s participant %s: signer key %s bound after a second identity check",
             hearing_id, participant_id, fingerprint[:16])  # fmt: skip
    return key
