"""Staff accounts and their sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.exceptions import (
    Conflict,
    CredentialRejected,
    NotFound,
    ValidationFailed,
)
from hearing_server.domain.secrets import (
    DUMMY_PASSWORD_HASH,
    hash_password_async,
    new_token,
    token_digest,
    verify_password_async,
)
from hearing_server.services.principals import StaffPrincipal, live_session
from hearing_server.services.session_ends import EndedSessions
from hearing_server.store.models import StaffRole, StaffSession, StaffUser

MIN_PASSWORD_LENGTH = 10


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "password too short",
            fields={"password": f"at least {MIN_PASSWORD_LENGTH} characters"},
        )


async def create_staff(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    role: StaffRole,
    password: str,
    now: datetime,
) -> StaffUser:
    _check_password(password)
    existing = await session.exec(select(StaffUser).where(StaffUser.username == username))
    if existing.first() is not None:
        raise Conflict(f"username {username!r} is taken", fields={"username": "already exists"})
    user = StaffUser(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=await hash_password_async(password),
        created_at=now,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(f"username {username!r} is taken") from None
    return user


async def update_staff(
    session: AsyncSession,
    user_id: int,
    *,
    by: StaffPrincipal,
    display_name: str | None = None,
    role: StaffRole | None = None,
    active: bool | None = None,
    password: str | None = None,
    ended: EndedSessions | None = None,
) -> StaffUser:
    """An admin changes an account. Deactivating it or setting a new password ends its sessions
    (added to ``ended``, to announce after the commit); an admin cannot lock themselves out
    (deactivate or demote their own account)."""
    user = await session.get(StaffUser, user_id)
    if user is None:
        raise NotFound("no such staff account")
    if user.id == by.user_id and (active is False or (role and role is not StaffRole.ADMIN)):
        raise Conflict("you cannot deactivate or demote your own account")
    if password is not None:
        _check_password(password)
        user.password_hash = await hash_password_async(password)
    if display_name:
        user.display_name = display_name
    if role is not None:
        user.role = role.value
    if active is not None:
        user.active = active
    session.add(user)
    if password is not None or active is False:
        await revoke_user_sessions(session, user_id, ended=ended)
    await session.flush()
    return user


async def revoke_user_sessions(
    session: AsyncSession, user_id: int, *, ended: EndedSessions | None = None
) -> None:
    open_sessions = await session.exec(
        select(StaffSession).where(
            StaffSession.user_id == user_id, col(StaffSession.revoked).is_(False)
        )
    )
    for staff_session in open_sessions.all():
        staff_session.revoked = True
        session.add(staff_session)
        if ended is not None and staff_session.id is not None:
            ended.add("staff", [staff_session.id])


async def find_staff(session: AsyncSession, username: str) -> StaffUser | None:
    result = await session.exec(select(StaffUser).where(StaffUser.username == username))
    return result.first()


async def authenticate(session: AsyncSession, username: str, password: str) -> StaffUser:
    """Check a username and password; the same error and similar time for every failure."""
    user = await find_staff(session, username)
    stored = user.password_hash if user is not None else DUMMY_PASSWORD_HASH
    valid = await verify_password_async(password, stored)
    if user is None or not valid or not user.active:
        raise CredentialRejected("wrong username or password")
    return user


async def open_staff_session(
    session: AsyncSession, user: StaffUser, *, now: datetime, hours: int
) -> str:
    assert user.id is not None
    token = new_token()
    session.add(
        StaffSession(
            token_hash=token_digest(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    await session.flush()
    return token


async def resolve_staff_session(
    session: AsyncSession, token: str, *, now: datetime
) -> StaffPrincipal | None:
    found = await live_session(
        session, token, now=now,
        kind=StaffSession, holder=StaffUser, held_by=StaffSession.user_id,
    )  # fmt: skip
    if found is None or not found[1].active:
        return None
    staff_session, user = found
    assert staff_session.id is not None and user.id is not None
    return StaffPrincipal(
        session_id=staff_session.id,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=StaffRole(user.role),
    )


async def revoke_staff_session(
    session: AsyncSession, session_id: int, *, ended: EndedSessions | None = None
) -> None:
    """Logout (``ended``: see ``update_staff``)."""
    staff_session = await session.get(StaffSession, session_id)
    if staff_session is not None:
        staff_session.revoked = True
        session.add(staff_session)
        if ended is not None:
            ended.add("staff", [session_id])


def staff_to_json(user: StaffUser) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
    }
