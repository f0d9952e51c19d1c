"""Participants of a hearing and their invitations (issue, revoke; traded for a session in
``party_sessions``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.clock import as_utc, iso_utc
from hearing_server.domain.exceptions import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from hearing_server.domain.hearing_state import HearingState
from hearing_server.domain.secrets import (
    hash_password_async,
    new_numeric,
    new_token,
    token_digest,
)
from hearing_server.services.hearings import HearingAccess
from hearing_server.services.invitations import InvitationDetails, validity_window
from hearing_server.services.principals import PartyPrincipal
from hearing_server.services.session_ends import EndedSessions
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import (
    STAFF_PARTICIPANT_ROLES,
    Hearing,
    Invitation,
    Participant,
    ParticipantRole,
    PartySession,
)

ACCOUNT_DIGITS = 10
CODE_DIGITS = 8
JOINABLE_STATES = frozenset(
    {
        HearingState.SCHEDULED,
        HearingState.OPEN,
        HearingState.IN_SESSION,
        HearingState.RECESSED,
        HearingState.CLOSED,
        HearingState.SIGNING,
    }
)


async def add_participant(
    session: AsyncSession,
    access: HearingAccess,
    *,
    role: ParticipantRole,
    display_name: str,
    phone: str,
    email: str,
    now: datetime,
) -> Participant:
    access.require_manager()
    if role in STAFF_PARTICIPANT_ROLES:
        raise ValidationFailed(
            "judge and clerk are staff accounts",
            fields={"role": "assign judge and clerk by username when creating the hearing"},
        )
    hearing = access.hearing
    assert hearing.id is not None
    count = len(await list_participants(session, hearing.id))
    participant = Participant(
        hearing_id=hearing.id,
        role=role.value,
        display_name=display_name,
        phone=phone,
        email=email,
        position=count,
        created_at=now,
    )
    session.add(participant)
    await session.flush()
    await append_event(
        session,
        hearing,
        actor=access.principal.actor,
        kind="participant.added",
        payload={"participant_id": participant.id, "role": role.value, "name": display_name},
        at=now,
    )
    return participant


async def list_participants(session: AsyncSession, hearing_id: int) -> list[Participant]:
    result = await session.exec(
        select(Participant)
        .where(Participant.hearing_id == hearing_id)
        .order_by(col(Participant.position), col(Participant.id))
    )
    return list(result.all())


async def get_participant(
    session: AsyncSession, hearing_id: int, participant_id: int
) -> Participant:
    participant = await session.get(Participant, participant_id)
    if participant is None or participant.hearing_id != hearing_id:
        raise NotFound(f"participant {participant_id} not found in hearing {hearing_id}")
    return participant


def participant_to_json(participant: Participant, *, private: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": participant.id,
        "hearing_id": participant.hearing_id,
        "role": participant.role,
        "display_name": participant.display_name,
        "identity_verified": participant.identity_verified,
        "is_staff": participant.staff_user_id is not None,
        "position": participant.position,
    }
    if private:
        data["phone"] = participant.phone
        data["email"] = participant.email
    return data


@dataclass(frozen=True)
class IssuedInvitation:
    """The secrets exist only here, once; the database keeps their hashes."""

    invitation: Invitation
    token: str
    account: str
    code: str


async def _unused_account(session: AsyncSession) -> str:
    for _ in range(20):
        account = new_numeric(ACCOUNT_DIGITS)
        taken = await session.exec(select(Invitation.id).where(Invitation.account == account))
        if taken.first() is None:
            return account
    raise Conflict("could not allocate an account number; try again")


async def active_invitation(session: AsyncSession, participant_id: int) -> Invitation | None:
    result = await session.exec(
        select(Invitation)
        .where(Invitation.participant_id == participant_id)
        .where(col(Invitation.revoked_at).is_(None))
        .order_by(col(Invitation.id).desc())
    )
    return result.first()


async def issue_invitation(
    session: AsyncSession,
    access: HearingAccess,
    participant: Participant,
    *,
    now: datetime,
    early_minutes: int,
    ended: EndedSessions | None = None,
) -> IssuedInvitation:
    """Issue (or re-issue: the previous one is revoked and so are the party sessions it was
    traded for, added to ``ended`` to announce after the commit) credentials for one
    participant."""
    access.require_manager()
    hearing = access.hearing
    if participant.staff_user_id is not None:
        raise ValidationFailed("staff sign in with their own account, not an invitation")
    if HearingState(hearing.state) not in JOINABLE_STATES:
        raise Conflict(f"a hearing that is {hearing.state} takes no new invitations")
    previous = await active_invitation(session, participant.id or 0)
    if previous is not None:
        previous.revoked_at = now
        session.add(previous)
        await _revoke_party_sessions(session, PartySession.participant_id == participant.id, ended)
    valid_from, valid_until = validity_window(
        hearing.scheduled_start, hearing.expected_duration_minutes, early_minutes
    )
    token = new_token()
    account = await _unused_account(session)
    code = new_numeric(CODE_DIGITS)
    assert hearing.id is not None and participant.id is not None
    invitation = Invitation(
        hearing_id=hearing.id,
        participant_id=participant.id,
        token_hash=token_digest(token),
        account=account,
        code_hash=await hash_password_async(code),
        valid_from=valid_from,
        valid_until=valid_until,
        created_at=now,
        created_by=_staff_id(access),
    )
    session.add(invitation)
    await session.flush()
    await append_event(
        session,
        hearing,
        actor=access.principal.actor,
        kind="invitation.reissued" if previous else "invitation.issued",
        payload={
            "participant_id": participant.id,
            "invitation_id": invitation.id,
            "valid_from": iso_utc(valid_from),
            "valid_until": iso_utc(valid_until),
        },
        at=now,
    )
    return IssuedInvitation(invitation, token, account, code)


def _staff_id(access: HearingAccess) -> int:
    principal = access.principal
    assert not isinstance(principal, PartyPrincipal)
    return principal.user_id


async def revoke_invitation(
    session: AsyncSession,
    access: HearingAccess,
    participant: Participant,
    *,
    now: datetime,
    ended: EndedSessions | None = None,
) -> Invitation:
    """The invitation and the party sessions traded for it (``ended``: see issue_invitation)."""
    access.require_manager()
    invitation = await active_invitation(session, participant.id or 0)
    if invitation is None:
        raise NotFound("this participant has no active invitation")
    invitation.revoked_at = now
    session.add(invitation)
    await _revoke_party_sessions(session, PartySession.invitation_id == invitation.id, ended)
    await append_event(
        session,
        access.hearing,
        actor=access.principal.actor,
        kind="invitation.revoked",
        payload={"participant_id": participant.id, "invitation_id": invitation.id},
        at=now,
    )
    return invitation


async def _revoke_party_sessions(
    session: AsyncSession, which: Any, ended: EndedSessions | None
) -> None:
    sessions = await session.exec(
        select(PartySession).where(which, col(PartySession.revoked).is_(False))
    )
    for party_session in sessions.all():
        party_session.revoked = True
        session.add(party_session)
        if ended is not None and party_session.id is not None:
            ended.add("party", [party_session.id])


def invitation_details(
    hearing: Hearing,
    participant: Participant,
    issued: IssuedInvitation,
    *,
    court_name: str,
    public_url: str,
) -> InvitationDetails:
    return InvitationDetails(
        court_name=court_name,
        case_number=hearing.case_number,
        title=hearing.title,
        courtroom=hearing.courtroom,
        scheduled_start=as_utc(hearing.scheduled_start),
        expected_duration_minutes=hearing.expected_duration_minutes,
        participant_name=participant.display_name,
        participant_role=participant.role,
        link=f"{public_url}/j/{issued.token}",
        account=issued.account,
        code=issued.code,
        valid_from=as_utc(issued.invitation.valid_from),
        valid_until=as_utc(issued.invitation.valid_until),
    )


def invitation_status(invitation: Invitation, now: datetime) -> str:
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.used_at is not None:
        return "used"
    if now < as_utc(invitation.valid_from):
        return "not_yet_valid"
    if now >= as_utc(invitation.valid_until):
        return "expired"
    return "valid"


def invitation_to_json(invitation: Invitation, now: datetime) -> dict[str, Any]:
    return {
        "id": invitation.id,
        "participant_id": invitation.participant_id,
        "account": invitation.account,
        "valid_from": iso_utc(invitation.valid_from),
        "valid_until": iso_utc(invitation.valid_until),
        "used_at": iso_utc(invitation.used_at) if invitation.used_at else None,
        "status": invitation_status(invitation, now),
    }
