"""Live courtrooms: one object per hearing (room state + media), owned by one event loop.

The registry lives for the app's lifetime: it creates a courtroom on the first connection to a
hearing, commits every change to the hearing's event log (``act``: the room's state is put back
if the commit fails, so memory never holds what the log does not), tells people through the
``Notifier`` port only after the commit, sweeps connections that stayed away past the grace
period, and closes all media on shutdown. The acts themselves are in ``courtroom_acts``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.clock import Clock
from hearing_server.domain.roles import STAFF_ROLES
from hearing_server.services.hearings import get_hearing
from hearing_server.services.ports import (
    MediaFactory,
    MediaPort,
    Notifier,
    SlotTrack,
    track_map_to_wire,
)
from hearing_server.services.session_ends import EndedSessions, SessionRef
from hearing_server.services.transcript_store import new_transcript, rebuild_transcript
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event, load_events
from hearing_server.store.models import Hearing
from signaling.protocol.court_messages import MessageBoard
from signaling.protocol.quality import QualityBoard
from signaling.protocol.room import Change, Event, RoomState
from transcript.model import Transcript

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = 1.0
MAX_CANDIDATES_PER_OFFER = 64

# More rows an act writes in its events' transaction (e.g. the participant's identity flag).
AlsoWrite = Callable[[AsyncSession, Hearing], Awaitable[None]]


@dataclass
class Courtroom:
    hearing_id: int
    state: RoomState
    media: MediaPort
    transcript: Transcript
    sids: dict[int, str] = field(default_factory=dict)  # participant id -> current connection
    # participant id -> the sign-in their current connection came from
    sessions: dict[int, SessionRef] = field(default_factory=dict)
    trickled: dict[int, int] = field(default_factory=dict)  # candidates since the last offer
    quality: QualityBoard = field(default_factory=QualityBoard)  # for the staff's console
    messages: MessageBoard = field(default_factory=MessageBoard)
    # When the hearing's recording first started (the origin of the hearing timeline), once known.
    timeline_origin: datetime | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class CourtroomRegistry:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        grace_s: float,
        notifier: Notifier,
        media_factory: MediaFactory,
    ) -> None:
        self.database = database
        self.clock = clock
        self.grace_s = grace_s
        self.notifier = notifier
        self.media_factory = media_factory
        self.rooms: dict[int, Courtroom] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="courtroom-sweeper")

    def now_s(self) -> float:
        return self.clock.now().timestamp()

    async def open(self, hearing_id: int) -> Courtroom:
        """The hearing's courtroom; a new one resumes stage, bars and transcript from the log."""
        room = self.rooms.get(hearing_id)
        if room is not None:
            return room
        async with self.database.read() as session:
            rows = await load_events(session, hearing_id)
        logged = [(row.kind, json.loads(row.payload)) for row in rows]
        state = RoomState.from_log(hearing_id, logged, grace_s=self.grace_s)
        room = self.get(hearing_id, state, rebuild_transcript(hearing_id, logged))
        if room.state is state:  # (not one that another connection opened meanwhile)
            room.messages = MessageBoard.from_log(logged)
        return room

    def get(
        self, hearing_id: int, state: RoomState | None = None, transcript: Transcript | None = None
    ) -> Courtroom:
        room = self.rooms.get(hearing_id)  # checked again: another connection may have won
        if room is None:

            def on_track_map(subscriber_id: int, track_map: Mapping[str, SlotTrack]) -> None:
                self._tell(hearing_id, subscriber_id, "track_map", track_map_to_wire(track_map))

            def on_failed(participant_id: int) -> None:
                self._tell(hearing_id, participant_id, "media_failed", {})

            media = self.media_factory(hearing_id, on_track_map=on_track_map, on_failed=on_failed)
            state = state or RoomState(hearing_id, grace_s=self.grace_s)
            transcript = new_transcript(hearing_id) if transcript is None else transcript
            room = Courtroom(hearing_id, state, media, transcript)
            self.rooms[hearing_id] = room
        return room

    def _tell(self, hearing_id: int, participant_id: int, event: str, data: Any) -> None:
        """From the media engine's synchronous callbacks: send on a task the registry owns."""
        room = self.rooms.get(hearing_id)
        if room is not None and participant_id in room.sids:
            sending = self.to_member(room, participant_id, event, data)
            self.spawn(sending, f"hearing {hearing_id} {event}")

    # telling people (only after the act's commit) ---------------------------------------

    async def to_room(self, room: Courtroom, event: str, data: Any) -> None:
        """Everyone connected to the courtroom, the waiting room included."""
        await self.notifier.to_hearing(room.hearing_id, event, data)

    async def to_member(self, room: Courtroom, participant_id: int, event: str, data: Any) -> None:
        """That participant's current connection, if they have one."""
        connection = room.sids.get(participant_id)
        if connection is not None:
            await self.notifier.to_connection(connection, event, data)

    async def to_admitted(self, room: Courtroom, event: str, data: Any) -> None:
        """The staff and everyone admitted (not the waiting room)."""
        for participant_id, connection in list(room.sids.items()):
            if room.state.may_have_media(participant_id):
                await self.notifier.to_connection(connection, event, data)

    async def to_staff(self, room: Courtroom, event: str, data: Any) -> None:
        """The judge's and the clerk's connections."""
        for participant_id, connection in list(room.sids.items()):
            member = room.state.members.get(participant_id)
            if member is not None and member.role in STAFF_ROLES:
                await self.notifier.to_connection(connection, event, data)

    async def drop(self, room: Courtroom, participant_id: int) -> None:
        """Take the participant's connection out of the courtroom now and close it soon."""
        connection = room.sids.pop(participant_id, None)
        if connection is not None:
            await self.notifier.drop(room.hearing_id, connection)

    async def end_sessions(self, ended: EndedSessions) -> None:
        """Those sessions ended (committed): every connection that came from one is dropped
        now, in every courtroom (``session_ends``)."""
        for room in list(self.rooms.values()):
            async with room.lock:
                for participant_id in [pid for pid, ref in room.sessions.items() if ref in ended]:
                    try:
                        await self.end_connection(room, participant_id)
                    except Exception:
                        log.exception("hearing %s participant %s: ending the session failed",
                                      room.hearing_id, participant_id)  # fmt: skip

    async def end_connection(self, room: Courtroom, participant_id: int) -> None:
        """(``room.lock`` held) The participant's session ended: their connection is dropped
        and their media closed; they are away, as after a lost network, until they sign in
        again within the grace period."""
        room.sessions.pop(participant_id, None)
        if participant_id not in room.sids:
            return
        try:
            async with self.act(room):
                change = room.state.disconnect(participant_id, now=self.now_s())
                await self.commit(room, "system", change)
        finally:
            await self.drop(room, participant_id)
            await room.media.detach(participant_id)
        log.info("hearing %s participant %s: session ended, connection dropped",
                 room.hearing_id, participant_id)  # fmt: skip
        await self.broadcast(room, change)

    def spawn(self, work: Awaitable[None], what: str) -> None:
        async def run() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s failed", what)

        task = asyncio.create_task(run(), name=what)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @asynccontextmanager
    async def act(self, room: Courtroom, *, messages: bool = False) -> AsyncIterator[None]:
        """Around one act's state change and its commit (``room.lock`` held): if anything in it
        fails, the room's state (and, for a message, the message board) is put back."""
        state = copy.deepcopy(room.state)
        board = copy.deepcopy(room.messages) if messages else room.messages
        try:
            yield
        except BaseException:
            room.state, room.messages = state, board
            raise

    async def commit(
        self, room: Courtroom, actor: str, change: Change, *, also: AlsoWrite | None = None
    ) -> None:
        """Write the change's events, then ``also``'s rows, in one transaction (none: no-op)."""
        if change.delta is None:
            return
        await self.log(room, actor, change.events, also=also)

    async def broadcast(self, room: Courtroom, change: Change) -> None:
        """Show everyone a committed change: ``room_update``, ``room`` and, if moved, ``stage``."""
        if change.delta is None:
            return
        await self.to_room(room, "room_update", change.delta)
        await self.to_room(room, "room", room.state.snapshot())
        if "stage" in change.delta:
            previous = next(
                (p["from"] for kind, p in change.events if kind == "stage.changed"), None
            )
            stage = {"stage": change.delta["stage"], "previous": previous,
                     "version": change.delta["version"]}  # fmt: skip
            await self.to_room(room, "stage", stage)

    async def record(self, room: Courtroom, actor: str, change: Change) -> None:
        """An act with no other effects: committed (or undone), then shown to everyone.

        Call inside ``act`` with ``room.lock`` held, so log order and broadcast order match."""
        await self.commit(room, actor, change)
        await self.broadcast(room, change)

    async def log(
        self,
        room: Courtroom,
        actor: str,
        events: Iterable[Event],
        *,
        also: AlsoWrite | None = None,
    ) -> None:
        """Append events to the hearing's log in one transaction (``room.lock`` held)."""
        events = list(events)
        if not events and also is None:
            return
        now = self.clock.now()
        async with self.database.write() as session:
            hearing = await get_hearing(session, room.hearing_id, lock=True)
            for kind, payload in events:
                await append_event(
                    session, hearing, actor=actor, kind=kind, payload=payload, at=now
                )
            if also is not None:
                await also(session, hearing)

    async def sweep_once(self) -> list[tuple[int, int]]:
        """Drop whoever stayed away past the grace period; returns (hearing, participant).

        Each drop is committed before its media is closed and everyone is told."""
        now = self.now_s()
        dropped: list[tuple[int, int]] = []
        for room in list(self.rooms.values()):
            async with room.lock:
                if not room.state.anyone_expired(now=now):
                    continue  # the common case, every second: no copy of the room taken
                async with self.act(room):
                    swept = room.state.sweep(now=now)
                    await self.log(room, "system", [e for _, c in swept for e in c.events])
                for participant_id, change in swept:
                    await room.media.detach(participant_id)
                    room.sids.pop(participant_id, None)
                    log.info("hearing %s participant %s: dropped after %.0f s away",
                             room.hearing_id, participant_id, self.grace_s)  # fmt: skip
                    await self.broadcast(room, change)
                    dropped.append((room.hearing_id, participant_id))
        return dropped

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("courtroom sweep failed")

    async def close(self) -> None:
        """Stop the sweeper and pending sends, close every hearing's media."""
        pending: list[asyncio.Task[None]] = list(self._tasks)
        if self._sweeper is not None:
            pending.append(self._sweeper)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for room in self.rooms.values():
            try:
                await room.media.close()
            except Exception:
                log.exception("hearing %s: closing media failed", room.hearing_id)
        self.rooms.clear()
