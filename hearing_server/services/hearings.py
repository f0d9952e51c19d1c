"""Hearings: creation, access rules, listing, editing and state transitions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.clock import as_utc, iso_utc
from hearing_server.domain.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from hearing_server.domain.hearing_state import (
    CLERK_ACTIONS,
    HearingAction,
    HearingState,
    Transition,
    allowed_actions,
    apply_action,
)
from hearing_server.domain.roles import STAFF_ROLES, Role
from hearing_server.services.principals import PartyPrincipal, Principal, StaffPrincipal
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import Hearing, Participant, ParticipantRole, StaffRole, StaffUser

EDITABLE_STATES = frozenset({HearingState.SCHEDULED, HearingState.OPEN})


@dataclass(frozen=True)
class HearingAccess:
    """The caller's standing in one hearing."""

    hearing: Hearing
    principal: Principal
    participant: Participant | None

    @property
    def is_staff(self) -> bool:
        return isinstance(self.principal, StaffPrincipal)

    @property
    def role(self) -> str:
        if self.participant is not None:
            return self.participant.role
        assert isinstance(self.principal, StaffPrincipal)
        return self.principal.role.value

    def require_staff(self) -> None:
        if not self.is_staff:
            raise Forbidden("only court staff may do this")

    def require_manager(self) -> None:
        """Admins and the hearing's judge and clerk manage participants and invitations."""
        self.require_staff()
        if self.role != StaffRole.ADMIN.value and self.role not in STAFF_ROLES:
            raise Forbidden("only this hearing's judge or clerk, or an admin, may do this")


async def get_hearing(session: AsyncSession, hearing_id: int, *, lock: bool = False) -> Hearing:
    query = select(Hearing).where(Hearing.id == hearing_id)
    if lock:
        query = query.with_for_update()
    hearing = (await session.exec(query)).first()
    if hearing is None:
        raise NotFound(f"hearing {hearing_id} not found")
    return hearing


async def staff_participant(
    session: AsyncSession, hearing_id: int, user_id: int
) -> Participant | None:
    result = await session.exec(
        select(Participant).where(
            Participant.hearing_id == hearing_id, Participant.staff_user_id == user_id
        )
    )
    return result.first()


async def access_hearing(
    session: AsyncSession, principal: Principal, hearing_id: int, *, lock: bool = False
) -> HearingAccess:
    """Load the hearing if the caller belongs to it; refuse otherwise."""
    if isinstance(principal, PartyPrincipal):
        if principal.hearing_id != hearing_id:
            raise Forbidden("your session is for another hearing")
        hearing = await get_hearing(session, hearing_id, lock=lock)
        participant = await session.get(Participant, principal.participant_id)
        if participant is None:
            raise Forbidden("you are no longer a participant of this hearing")
        return HearingAccess(hearing, principal, participant)
    hearing = await get_hearing(session, hearing_id, lock=lock)
    participant = await staff_participant(session, hearing_id, principal.user_id)
    if participant is None and principal.role is not StaffRole.ADMIN:
        raise Forbidden("you are not assigned to this hearing")
    return HearingAccess(hearing, principal, participant)


async def assign_staff(
    session: AsyncSession,
    hearing: Hearing,
    username: str,
    role: ParticipantRole,
    *,
    now: datetime,
    position: int,
) -> Participant:
    user = (await session.exec(select(StaffUser).where(StaffUser.username == username))).first()
    if user is None or not user.active:
        raise ValidationFailed("unknown staff user", fields={role.value: f"no user {username!r}"})
    if user.role != role.value:
        raise ValidationFailed(
            "wrong staff role", fields={role.value: f"{username!r} is a {user.role}"}
        )
    assert hearing.id is not None
    participant = Participant(
        hearing_id=hearing.id,
        role=role.value,
        display_name=user.display_name,
        staff_user_id=user.id,
        identity_verified=True,
        position=position,
        created_at=now,
    )
    session.add(participant)
    await session.flush()
    return participant


async def schedule_hearing(
    session: AsyncSession,
    *,
    values: dict[str, Any],
    creator: StaffPrincipal,
    judge: str,
    clerk: str | None,
    now: datetime,
) -> tuple[Hearing, Participant]:
    """Create a hearing, log it, and seat its judge (and clerk); returns the judge's seat."""
    hearing = Hearing(**values, created_by=creator.user_id, created_at=now)
    session.add(hearing)
    await session.flush()
    await append_event(
        session,
        hearing,
        actor=creator.actor,
        kind="hearing.created",
        payload={
            "case_number": hearing.case_number,
            "title": hearing.title,
            "scheduled_start": iso_utc(hearing.scheduled_start),
        },
        at=now,
    )
    judge_seat = await assign_staff(session, hearing, judge, ParticipantRole.JUDGE, now=now,
                                    position=0)  # fmt: skip
    if clerk:
        await assign_staff(session, hearing, clerk, ParticipantRole.CLERK, now=now, position=1)
    return hearing, judge_seat


async def list_hearings(
    session: AsyncSession,
    principal: StaffPrincipal,
    *,
    day_start: datetime | None,
    state: HearingState | None,
) -> list[Hearing]:
    query = select(Hearing).order_by(col(Hearing.scheduled_start), col(Hearing.id))
    if principal.role is not StaffRole.ADMIN:
        assigned = select(Participant.hearing_id).where(
            Participant.staff_user_id == principal.user_id
        )
        query = query.where(col(Hearing.id).in_(assigned))
    if day_start is not None:
        query = query.where(
            col(Hearing.scheduled_start) >= day_start,
            col(Hearing.scheduled_start) < day_start + timedelta(days=1),
        )
    if state is not None:
        query = query.where(Hearing.state == state.value)
    return list((await session.exec(query)).all())


async def transition_hearing(
    session: AsyncSession, access: HearingAccess, action: HearingAction, *, now: datetime
) -> Transition:
    access.require_staff()
    role = access.role
    if role != Role.JUDGE and not (role == Role.CLERK and action in CLERK_ACTIONS):
        raise Forbidden(f"only the hearing's judge may {action.value} the hearing")
    hearing = access.hearing
    transition = apply_action(HearingState(hearing.state), action)
    hearing.state = transition.target.value
    await append_event(
        session,
        hearing,
        actor=access.principal.actor,
        kind=transition.event_kind,
        payload={"from": transition.source.value, "to": transition.target.value},
        at=now,
    )
    return transition


def require_editable(hearing: Hearing) -> None:
    if HearingState(hearing.state) not in EDITABLE_STATES:
        raise Conflict(f"a hearing that is {hearing.state} can no longer be changed")


def hearing_to_json(hearing: Hearing, *, full: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": hearing.id,
        "case_number": hearing.case_number,
        "title": hearing.title,
        "cause_of_action": hearing.cause_of_action,
        "courtroom": hearing.courtroom,
        "scheduled_start": iso_utc(hearing.scheduled_start),
        "expected_duration_minutes": hearing.expected_duration_minutes,
        "is_public": hearing.is_public,
        "state": hearing.state,
    }
    if full:
        data["created_at"] = iso_utc(hearing.created_at)
        data["event_count"] = hearing.event_count
        data["event_head_hash"] = hearing.event_head_hash
        data["allowed_actions"] = [a.value for a in allowed_actions(HearingState(hearing.state))]
    return data


def slot_end(hearing: Hearing) -> datetime:
    return as_utc(hearing.scheduled_start) + timedelta(minutes=hearing.expected_duration_minutes)
