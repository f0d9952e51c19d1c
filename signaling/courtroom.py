"""Live courtrooms: one object per hearing (room state + media), owned by one event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from hearing_server.clock import Clock
from hearing_server.db import Database
from hearing_server.eventlog import append_event
from hearing_server.hearings import get_hearing
from signaling.media.hearing_media import HearingMedia, TrackMap
from signaling.room import Event, RoomState

log = logging.getLogger(__name__)
SWEEP_INTERVAL_S = 1.0

Emit = Callable[[str, Any, str], Awaitable[None]]  # (event, data, to sid or room)


def slots_to_wire(track_map: TrackMap) -> list[dict[str, Any]]:
    """Group the engine's per-mid map into the protocol's ``{participant_id, audio_mid,
    video_mid}`` entries (see docs/signaling.md)."""
    slots: dict[int, dict[str, Any]] = {}
    for incoming in track_map.values():
        entry = slots.setdefault(
            incoming.participant_id, {"participant_id": incoming.participant_id}
        )
        entry[f"{incoming.kind}_mid"] = incoming.mid
    return [slots[pid] for pid in sorted(slots)]


@dataclass
class Courtroom:
    hearing_id: int
    state: RoomState
    media: HearingMedia
    sids: dict[int, str] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def channel(self) -> str:
        return f"hearing-{self.hearing_id}"


class CourtroomRegistry:
    """Creates courtrooms on demand, logs their events, sweeps dropped connections."""

    def __init__(self, *, database: Database, clock: Clock, grace_s: float, emit: Emit) -> None:
        self.database = database
        self.clock = clock
        self.grace_s = grace_s
        self.emit = emit
        self.rooms: dict[int, Courtroom] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="courtroom-sweeper")

    def now_s(self) -> float:
        return self.clock.now().timestamp()

    def get(self, hearing_id: int) -> Courtroom:
        room = self.rooms.get(hearing_id)
        if room is None:
            media = HearingMedia(
                hearing_id,
                on_track_map=lambda pid, track_map: self._send_track_map(
                    hearing_id, pid, track_map
                ),
            )
            room = Courtroom(hearing_id, RoomState(hearing_id, grace_s=self.grace_s), media)
            self.rooms[hearing_id] = room
        return room

    def _send_track_map(self, hearing_id: int, participant_id: int, track_map: TrackMap) -> None:
        room = self.rooms.get(hearing_id)
        sid = room.sids.get(participant_id) if room else None
        if sid is not None:
            self.spawn(self.emit("track_map", {"slots": slots_to_wire(track_map)}, sid))

    def spawn(self, coroutine: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await coroutine
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("courtroom background send failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def record(self, room: Courtroom, actor: str, events: list[Event]) -> None:
        """Append the room's events to the hearing log, then show everyone the new state."""
        if events:
            now = self.clock.now()
            async with self.database.write() as session:
                hearing = await get_hearing(session, room.hearing_id, lock=True)
                for kind, payload in events:
                    await append_event(
                        session, hearing, actor=actor, kind=kind, payload=payload, at=now
                    )
        await self.emit("room", room.state.snapshot(), room.channel)

    async def sweep_once(self) -> None:
        now = self.now_s()
        for room in list(self.rooms.values()):
            async with room.lock:
                for participant_id, events in room.state.sweep(now=now):
                    await room.media.detach(participant_id)
                    room.sids.pop(participant_id, None)
                    log.info("hearing %s participant %s: dropped after the grace period",
                             room.hearing_id, participant_id)  # fmt: skip
                    await self.record(room, "system", events)

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
        if self._sweeper is not None:
            self._sweeper.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(
            *self._tasks, *([self._sweeper] if self._sweeper else []), return_exceptions=True
        )
        for room in self.rooms.values():
            await room.media.close()
        self.rooms.clear()
