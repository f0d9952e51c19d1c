"""The ports of the courtroom's services, faked (they are ports, not what users touch), and a
court to act in: a real database (SQLite in the test's folder) with one hearing seated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from hearing_server.services.courtroom import CourtroomRegistry
from hearing_server.services.courtroom_acts import CourtroomActs, Seat
from hearing_server.services.principals import PartyPrincipal, StaffPrincipal
from hearing_server.store.db import Database
from hearing_server.store.eventlog import load_events
from hearing_server.store.models import (
    Hearing,
    Invitation,
    Participant,
    PartySession,
    StaffRole,
    StaffSession,
    StaffUser,
)
from hearing_server.store.signing_models import SignerKey
from tests.support.clock import FakeClock
from tests.support.media_fakes import RecordingMedia

Sent = tuple[str, Any, str, Any]  # (how, to, event, data)


class FakeNotifier:
    """Records what the services tell whom, in order."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    async def to_hearing(self, hearing_id: int, event: str, data: Any) -> None:
        self.sent.append(("hearing", hearing_id, event, data))

    async def to_connection(self, connection: str, event: str, data: Any) -> None:
        self.sent.append(("connection", connection, event, data))

    async def seat(self, hearing_id: int, connection: str) -> None:
        self.sent.append(("seat", connection, "", hearing_id))

    async def drop(self, hearing_id: int, connection: str) -> None:
        self.sent.append(("drop", connection, "", hearing_id))

    def events(self) -> list[str]:
        return [event or how for how, _to, event, _data in self.sent]

    def to(self, connection: str) -> list[str]:
        return [
            event for how, to, event, _ in self.sent if how == "connection" and to == connection
        ]


FakeMedia = RecordingMedia


class FakeRecordings:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def pause(self, hearing_id: int, reason: str) -> None:
        self.calls.append(("pause", reason))

    async def resume(self, hearing_id: int) -> None:
        self.calls.append(("resume",))

    def status(self, hearing_id: int) -> dict[str, Any]:
        return {"state": "paused" if self.calls and self.calls[-1][0] == "pause" else "idle"}


ROLES = ("judge", "clerk", "plaintiff", "defendant", "observer")


@dataclass
class Court:
    """One hearing (state ``open``) with a judge, a clerk, two parties and an observer."""

    acts: CourtroomActs
    registry: CourtroomRegistry
    database: Database
    notifier: FakeNotifier
    media: FakeMedia
    recordings: FakeRecordings
    clock: FakeClock
    hearing_id: int
    ids: dict[str, int]
    principals: dict[str, StaffPrincipal | PartyPrincipal]
    seats: dict[str, Seat] = field(default_factory=dict)

    async def connect(self, *roles: str) -> None:
        for role in roles:
            connection = f"sid-{role}-{len(self.notifier.sent)}"
            self.seats[role] = await self.acts.connect(
                self.principals[role], self.hearing_id, connection
            )

    async def act(self, role: str, message: Any) -> dict[str, Any]:
        return await self.acts.act(self.seats[role], message)

    async def seated(self, *roles: str) -> None:
        """Connected, and the parties admitted, with nothing recorded of it afterwards."""
        await self.connect("judge", *roles)
        from signaling.protocol import messages as m

        for role in roles:
            if role not in ("judge", "clerk"):
                await self.act("judge", m.Admit(participant_id=self.ids[role]))
        self.notifier.sent.clear()
        self.media.calls.clear()

    async def kinds(self) -> list[str]:
        async with self.database.read() as session:
            return [row.kind for row in await load_events(session, self.hearing_id)]

    async def participant(self, role: str) -> Participant:
        async with self.database.read() as session:
            participant = await session.get(Participant, self.ids[role])
        assert participant is not None
        return participant

    async def register_key(self, role: str) -> None:
        async with self.database.write() as session:
            session.add(SignerKey(
                hearing_id=self.hearing_id, participant_id=self.ids[role], fingerprint="f" * 64,
                spki_der=b"key", session_kind="party", session_id=1, registered_at=self.clock.now(),
            ))  # fmt: skip

    async def key_bound(self, role: str) -> bool:
        async with self.database.read() as session:
            key = await session.get(SignerKey, 1)
        return key is not None and key.bound_at is not None

    @property
    def room(self) -> Any:
        return self.registry.rooms[self.hearing_id]


async def _sign_in(
    session: Any, users: dict[str, StaffUser], seats: dict[str, Participant], *, now: Any
) -> dict[str, int]:
    """A live session for everyone (staff: a login; parties: an exchanged invitation); their
    ids by role."""
    rows: dict[str, StaffSession | PartySession] = {}
    until = now + timedelta(hours=8)
    for role, seat in seats.items():
        if role in users:
            rows[role] = StaffSession(token_hash=f"staff-{role}", user_id=users[role].id or 0,
                                      created_at=now, expires_at=until)  # fmt: skip
            continue
        invitation = Invitation(
            hearing_id=seat.hearing_id, participant_id=seat.id or 0, token_hash=f"invite-{role}",
            account=f"acct-{role}", code_hash="-", valid_from=now, valid_until=until,
            created_at=now, created_by=users["judge"].id or 0, used_at=now,
        )  # fmt: skip
        session.add(invitation)
        await session.flush()
        rows[role] = PartySession(token_hash=f"party-{role}", hearing_id=seat.hearing_id,
                                  participant_id=seat.id or 0, invitation_id=invitation.id or 0,
                                  created_at=now, expires_at=until)  # fmt: skip
    for row in rows.values():
        session.add(row)
    await session.flush()
    return {role: row.id or 0 for role, row in rows.items()}


@asynccontextmanager
async def court_in(folder: Path) -> AsyncIterator[Court]:
    clock = FakeClock()
    database = Database(f"sqlite+aiosqlite:///{folder / 'hearing.db'}")
    await database.create_schema(now=clock.now())
    now = clock.now()
    async with database.write() as session:
        users = {}
        for role in ("judge", "clerk"):
            user = StaffUser(username=role, display_name=f"{role} name", role=role,
                             password_hash="-", created_at=now)  # fmt: skip
            session.add(user)
            users[role] = user
        await session.flush()
        hearing = Hearing(case_number="(2026)01", title="t", scheduled_start=now, state="open",
                          created_by=users["judge"].id or 0, created_at=now)  # fmt: skip
        session.add(hearing)
        await session.flush()
        assert hearing.id is not None
        seats = {}
        for position, role in enumerate(ROLES):
            seat = Participant(
                hearing_id=hearing.id, role=role, display_name=f"{role} name", position=position,
                staff_user_id=users[role].id if role in users else None,
                identity_verified=role in users, created_at=now,
            )  # fmt: skip
            session.add(seat)
            seats[role] = seat
        await session.flush()
        ids = {role: seat.id or 0 for role, seat in seats.items()}
        hearing_id = hearing.id
        signed_in = await _sign_in(session, users, seats, now=now)
    principals: dict[str, StaffPrincipal | PartyPrincipal] = {}
    for role in ROLES:
        if role in users:
            user = users[role]
            principals[role] = StaffPrincipal(
                signed_in[role], user.id or 0, role, user.display_name, StaffRole(role)
            )
        else:
            principals[role] = PartyPrincipal(
                signed_in[role], hearing_id, ids[role], role, f"{role} name"
            )
    notifier, media, recordings = FakeNotifier(), FakeMedia(), FakeRecordings()
    registry = CourtroomRegistry(
        database=database, clock=clock, grace_s=30.0, notifier=notifier,
        media_factory=lambda hearing_id, *, on_track_map, on_failed: media,
    )  # fmt: skip
    acts = CourtroomActs(registry, recordings=recordings, ice_for=lambda pid: [{"urls": "stun:x"}])
    try:
        yield Court(
            acts,
            registry,
            database,
            notifier,
            media,
            recordings,
            clock,
            hearing_id,
            ids,
            principals,
        )
    finally:
        await registry.close()
        await database.close()
