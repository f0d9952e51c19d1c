"""A party's way in: an invitation (link, or account + code) traded for a party session.

The session is bound to the hearing and the participant's role and lasts until the end of the
hearing's slot plus a grace period; each request carries its bearer token (cookie or header).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.exceptions import CredentialRejected
from hearing_server.domain.hearing_state import HearingState
from hearing_server.domain.secrets import (
    DUMMY_PASSWORD_HASH,
    new_token,
    token_digest,
    verify_password_async,
)
from hearing_server.services.hearings import slot_end
from hearing_server.services.participants import JOINABLE_STATES, invitation_status
from hearing_server.services.principals import PartyPrincipal, live_session
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import Hearing, Invitation, Participant, PartySession

PARTY_SESSION_GRACE = timedelta(hours=8)


async def find_invitation_by_token(session: AsyncSession, token: str) -> Invitation | None:
    result = await session.exec(
        select(Invitation).where(Invitation.token_hash == token_digest(token))
    )
    return result.first()


async def find_invitation_by_code(
    session: AsyncSession, account: str, code: str
) -> Invitation | None:
    invitation = (
        await session.exec(select(Invitation).where(Invitation.account == account))
    ).first()
    stored = invitation.code_hash if invitation is not None else DUMMY_PASSWORD_HASH
    valid = await verify_password_async(code, stored)
    return invitation if invitation is not None and valid else None


@dataclass(frozen=True)
class ExchangedSession:
    token: str
    principal: PartyPrincipal
    expires_at: datetime


async def exchange_invitation(
    session: AsyncSession,
    invitation: Invitation | None,
    *,
    now: datetime,
    expected_hearing_id: int | None,
) -> ExchangedSession:
    """Trade a valid, unused invitation for a party session bound to its hearing and role."""
    if invitation is None:
        raise CredentialRejected("these credentials are not valid")
    if expected_hearing_id is not None and invitation.hearing_id != expected_hearing_id:
        raise CredentialRejected(
            "these credentials are for another hearing", reason="other_hearing"
        )
    status = invitation_status(invitation, now)
    if status != "valid":
        messages = {
            "revoked": "these credentials were withdrawn; ask the court for new ones",
            "used": "these credentials were already used; ask the court for new ones",
            "not_yet_valid": "these credentials are not valid yet; come back shortly before "
            "the hearing",
            "expired": "these credentials have expired",
        }
        raise CredentialRejected(messages[status], reason=status)
    hearing = await session.get(Hearing, invitation.hearing_id)
    participant = await session.get(Participant, invitation.participant_id)
    if hearing is None or participant is None:
        raise CredentialRejected("these credentials are not valid")
    if HearingState(hearing.state) not in JOINABLE_STATES:
        raise CredentialRejected(f"the hearing is {hearing.state}", reason="hearing_over")
    invitation.used_at = now
    session.add(invitation)
    token = new_token()
    expires_at = slot_end(hearing) + PARTY_SESSION_GRACE
    assert invitation.id is not None and participant.id is not None and hearing.id is not None
    party_session = PartySession(
        token_hash=token_digest(token),
        hearing_id=hearing.id,
        participant_id=participant.id,
        invitation_id=invitation.id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(party_session)
    await session.flush()
    await append_event(
        session,
        hearing,
        actor=f"participant:{participant.id}",
        kind="invitation.exchanged",
        payload={"participant_id": participant.id, "invitation_id": invitation.id},
        at=now,
    )
    principal = _principal(party_session, participant)
    return ExchangedSession(token=token, principal=principal, expires_at=expires_at)


async def resolve_party_session(
    session: AsyncSession, token: str, *, now: datetime
) -> PartyPrincipal | None:
    found = await live_session(
        session, token, now=now,
        kind=PartySession, holder=Participant, held_by=PartySession.participant_id,
    )  # fmt: skip
    return None if found is None else _principal(*found)


def _principal(party_session: PartySession, participant: Participant) -> PartyPrincipal:
    assert party_session.id is not None and participant.id is not None
    return PartyPrincipal(
        session_id=party_session.id,
        hearing_id=party_session.hearing_id,
        participant_id=participant.id,
        role=participant.role,
        display_name=participant.display_name,
    )
