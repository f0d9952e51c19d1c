"""When a sign-in ends, it ends everywhere at once: REST and the live courtrooms.

A session ends by logout, a staff account's deactivation or new password, or a party's
invitation being revoked or re-issued. The service that ends it adds it to an ``EndedSessions``
of its transaction; once that has committed, the caller announces it (``announce``) to the
listeners the app registered, among them the courtrooms (``CourtroomRegistry.end_sessions``),
which drop that session's connections at once. Every courtroom act also asks the database
first whether its session is still live (``session_is_live``): one that ended in any other way
(expired, or changed behind the server's back) is refused too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.clock import as_utc
from hearing_server.services.principals import Principal, StaffPrincipal
from hearing_server.store.models import Invitation, PartySession, StaffSession, StaffUser

SessionKind = Literal["staff", "party"]
SESSION_ENDED_MESSAGE = "your session has ended; sign in again"


@dataclass(frozen=True)
class SessionRef:
    """The sign-in a connection came from (``user_id``: the staff account, for staff)."""

    kind: SessionKind
    id: int
    user_id: int | None = None


def session_of(principal: Principal) -> SessionRef:
    if isinstance(principal, StaffPrincipal):
        return SessionRef("staff", principal.session_id, principal.user_id)
    return SessionRef("party", principal.session_id)


@dataclass
class EndedSessions:
    """The sessions one transaction ended; announced once it has committed."""

    staff: set[int] = field(default_factory=set)
    party: set[int] = field(default_factory=set)

    def add(self, kind: SessionKind, ids: Iterable[int]) -> None:
        (self.staff if kind == "staff" else self.party).update(ids)

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, SessionRef):
            return False
        return ref.id in (self.staff if ref.kind == "staff" else self.party)

    def __bool__(self) -> bool:
        return bool(self.staff or self.party)


SessionsEndedListener = Callable[[EndedSessions], Awaitable[None]]


async def announce(listeners: list[SessionsEndedListener], ended: EndedSessions) -> None:
    """Call after the commit that ended them (nothing to say: nothing happens)."""
    if not ended:
        return
    for listener in listeners:
        await listener(ended)


async def session_is_live(session: AsyncSession, ref: SessionRef, *, now: datetime) -> bool:
    """One query: not revoked, not expired, and the staff account still active or the party's
    invitation neither revoked nor replaced."""
    if ref.kind == "staff":
        staff = await session.exec(
            select(StaffSession.revoked, StaffSession.expires_at, StaffUser.active)
            .join(StaffUser, col(StaffUser.id) == col(StaffSession.user_id))
            .where(StaffSession.id == ref.id, StaffSession.user_id == ref.user_id)
        )
        row = staff.first()
        return row is not None and not row[0] and as_utc(row[1]) > now and row[2]
    party = await session.exec(
        select(PartySession.revoked, PartySession.expires_at, Invitation.revoked_at)
        .join(Invitation, col(Invitation.id) == col(PartySession.invitation_id))
        .where(PartySession.id == ref.id)
    )
    found = party.first()
    return found is not None and not found[0] and as_utc(found[1]) > now and found[2] is None
