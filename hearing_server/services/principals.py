"""Who is calling: a staff member (cookie session) or a party (exchanged session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.clock import as_utc
from hearing_server.domain.secrets import token_digest
from hearing_server.store.models import (
    Participant,
    PartySession,
    StaffRole,
    StaffSession,
    StaffUser,
)

LoginRow = TypeVar("LoginRow", PartySession, StaffSession)
Holder = TypeVar("Holder", Participant, StaffUser)


@dataclass(frozen=True)
class StaffPrincipal:
    session_id: int
    user_id: int
    username: str
    display_name: str
    role: StaffRole

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"


@dataclass(frozen=True)
class PartyPrincipal:
    session_id: int
    hearing_id: int
    participant_id: int
    role: str
    display_name: str

    @property
    def actor(self) -> str:
        return f"participant:{self.participant_id}"


Principal = StaffPrincipal | PartyPrincipal


async def live_session(
    session: AsyncSession,
    token: str,
    *,
    now: datetime,
    kind: type[LoginRow],
    holder: type[Holder],
    held_by: Any,
) -> tuple[LoginRow, Holder] | None:
    """The session row whose bearer token this is (found by its SHA-256) and whom it belongs
    to (``held_by``: its column naming them); None when unknown, revoked or expired."""
    result = await session.exec(
        select(kind, holder)
        .join(holder, col(holder.id) == col(held_by))
        .where(kind.token_hash == token_digest(token))
    )
    row = result.first()
    if row is None:
        return None
    login, owner = row
    if login.revoked or as_utc(login.expires_at) <= now:
        return None
    return login, owner
