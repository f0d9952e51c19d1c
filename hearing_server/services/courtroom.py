"""Live courtrooms: one object per hearing (room state + media), owned by one event loop.

The registry lives under ``signaling.namespace.COURTROOMS`` for the app's lifetime: it creates
a courtroom on the first connection to a hearing, appends every change to the hearing's event
log, broadcasts it, sweeps connections that stayed away past the grace period, and closes all
media on shutdown.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hearing_server.domain.clock import Clock
from hearing_server.services.hearings import get_hearing
from hearing_server.services.ports import MediaFactory, MediaPort, SlotTrack, track_map_to_wire
from hearing_server.services.transcript_live import new_transcript, rebuild_transcript
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event, load_events
from signaling.protocol.court_messages import MessageBoard
from signaling.protocol.quality import QualityBoard
from signaling.protocol.room import Change, Event, RoomState
from transcript.model import Transcript

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = 1.0
MAX_CANDIDATES_PER_OFFER = 64

Emit = Callable[[str, Any, str], Awaitable[None]]  # (event, data, to: a sid or a channel)


@dataclass
class Courtroom:
    hearing_id: int
    state: RoomState
    media: MediaPort
    transcript: Transcript
    sids: dict[int, str] = field(default_factory=dict)  # participant id -> current socket
    trickled: dict[int, int] = field(default_factory=dict)  # candidates since the last offer
    quality: QualityBoard = field(default_factory=QualityBoard)  # for the staff's console
    messages: MessageBoard = field(default_factory=MessageBoard)
    # When the hearing's recording first started (the origin of the hearing timeline), once known.
    timeline_origin: datetime | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def channel(self) -> str:
        return f"hearing-{self.hearing_id}"


class CourtroomRegistry:
    def __init__(
        self,
        *,
        database: Database,
        clock: Clock,
        grace_s: float,
        emit: Emit,
        media_factory: MediaFactory,
    ) -> None:
        self.database = database
        self.clock = clock
        self.grace_s = grace_s
        self.emit = emit
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
        sid = room.sids.get(participant_id) if room else None
        if sid is not None:
            self.spawn(self.emit(event, data, sid), f"hearing {hearing_id} {event}")

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

    async def record(self, room: Courtroom, actor: str, change: Change) -> None:
        """Append the change's events to the hearing log, then show everyone the change.

        Called with ``room.lock`` held, so log order and broadcast order match the room's."""
        if change.delta is None:
            return
        await self.log(room, actor, change.events)
        await self.emit("room_update", change.delta, room.channel)
        await self.emit("room", room.state.snapshot(), room.channel)
        if "stage" in change.delta:
            previous = next(
                (p["from"] for kind, p in change.events if kind == "stage.changed"), None
            )
            stage = {"stage": change.delta["stage"], "previous": previous,
                     "version": change.delta["version"]}  # fmt: skip
            await self.emit("stage", stage, room.channel)

    async def log(self, room: Courtroom, actor: str, events: Iterable[Event]) -> None:
        """Append events to the hearing's log in one transaction (``room.lock`` held)."""
        events = list(events)
        if not events:
            return
        now = self.clock.now()
        async with self.database.write() as session:
            hearing = await get_hearing(session, room.hearing_id, lock=True)
            for kind, payload in events:
                await append_event(
                    session, hearing, actor=actor, kind=kind, payload=payload, at=now
                )

    async def sweep_once(self) -> list[tuple[int, int]]:
        """Drop whoever stayed away past the grace period; returns (hearing, participant)."""
        now = self.now_s()
        dropped: list[tuple[int, int]] = []
        for room in list(self.rooms.values()):
            async with room.lock:
                for participant_id, change in room.state.sweep(now=now):
                    await room.media.detach(participant_id)
                    room.sids.pop(participant_id, None)
                    log.info("hearing %s participant %s: dropped after %.0f s away",
                             room.hearing_id, participant_id, self.grace_s)  # fmt: skip
                    await self.record(room, "system", change)
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
