"""Starts, pauses and stops each live hearing's recording as the hearing changes state.

In session → recording (started, or resumed after a recess); recessed → paused with the reason
``recess``; closed → stopped, every segment closed and logged. Registered as a listener of the
REST transitions (``hearing_server.web.keys.TRANSITION_LISTENERS``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hearing_server.clock import Clock
from hearing_server.db import Database
from hearing_server.eventlog import append_event
from hearing_server.exceptions import NotFound
from hearing_server.hearing_state import HearingState, Transition
from hearing_server.hearings import get_hearing
from recording import recover_hearing
from signaling.courtroom import CourtroomRegistry
from signaling.exceptions import WrongState
from signaling.media.hearing_media import HearingMedia
from signaling.recording_live import LiveRecording, gap_to_json, segment_to_json

log = logging.getLogger(__name__)
Emit = Callable[[str, Any, str], Awaitable[None]]


class RecordingControl:
    def __init__(
        self,
        registry: CourtroomRegistry,
        *,
        database: Database,
        clock: Clock,
        data_dir: Path,
        segment_s: float,
        emit: Emit,
    ) -> None:
        self.registry = registry
        self.database = database
        self.clock = clock
        self.data_dir = data_dir
        self.segment_s = segment_s
        self.emit = emit
        self.recordings: dict[int, LiveRecording] = {}

    async def on_transition(self, hearing_id: int, transition: Transition) -> None:
        if transition.target is HearingState.IN_SESSION:
            await self.start(hearing_id)
        elif transition.target is HearingState.RECESSED:
            recording = self.recordings.get(hearing_id)
            if recording is not None:
                await recording.pause("recess")
                await self._announce(hearing_id, active=False, reason="recess")
        elif transition.target is HearingState.CLOSED:
            await self.stop(hearing_id)

    async def start(self, hearing_id: int) -> None:
        room = await self.registry.open(hearing_id)
        recording = self.recordings.get(hearing_id)
        if recording is None:
            media = room.media

            def request_keyframe(participant_id: int, kind: str) -> None:
                if isinstance(media, HearingMedia):
                    publication = media.publication(participant_id, kind)
                    if publication is not None:
                        publication.request_keyframe()

            async def log_event(kind: str, payload: dict[str, Any]) -> None:
                await self._log(hearing_id, kind, payload)

            async def alert(payload: dict[str, Any]) -> None:
                await self.emit("recording_alert", payload, room.channel)

            recording = LiveRecording(
                hearing_id, self.data_dir / "recordings" / str(hearing_id),
                log_event=log_event, alert=alert, request_keyframe=request_keyframe,
                segment_s=self.segment_s,
            )  # fmt: skip
            self.recordings[hearing_id] = recording
            if isinstance(media, HearingMedia):
                media.set_packet_tap(recording.tap)
        await recording.start()
        await self._announce(hearing_id, active=True, reason=None)

    async def pause(self, hearing_id: int, reason: str) -> None:
        """The judge's pause (non-public evidence, mediation caucus, recess)."""
        recording = self.recordings.get(hearing_id)
        if recording is None or not recording.active:
            raise WrongState("the hearing is not being recorded")
        await recording.pause(reason)
        await self._announce(hearing_id, active=False, reason=reason)

    async def resume(self, hearing_id: int) -> None:
        recording = self.recordings.get(hearing_id)
        if recording is None or recording.active:
            raise WrongState("the recording is not paused")
        await recording.start()
        await self._announce(hearing_id, active=True, reason=None)

    def status(self, hearing_id: int) -> dict[str, Any]:
        recording = self.recordings.get(hearing_id)
        return {"active": recording is not None and recording.active}

    async def stop(self, hearing_id: int) -> None:
        recording = self.recordings.pop(hearing_id, None)
        if recording is None:
            return
        room = self.registry.rooms.get(hearing_id)
        if room is not None and isinstance(room.media, HearingMedia):
            room.media.set_packet_tap(None)
        await recording.stop()
        await self._announce(hearing_id, active=False, reason="closed")

    async def _announce(self, hearing_id: int, *, active: bool, reason: str | None) -> None:
        room = self.registry.rooms.get(hearing_id)
        if room is not None:
            await self.emit("recording", {"active": active, "reason": reason}, room.channel)

    async def _log(self, hearing_id: int, kind: str, payload: dict[str, Any]) -> None:
        async with self.database.write() as session:
            hearing = await get_hearing(session, hearing_id, lock=True)
            await append_event(
                session, hearing, actor="system", kind=kind, payload=payload,
                at=self.clock.now(),
            )  # fmt: skip

    async def recover_all(self) -> None:
        """At start-up: remux segments a crash left open and put them and the gap on record."""
        root = self.data_dir / "recordings"
        if not root.is_dir():
            return
        for directory in sorted(root.iterdir()):
            if not directory.is_dir() or not directory.name.isdigit():
                continue
            report = await asyncio.to_thread(recover_hearing, directory)
            events = [("recording.segment_recovered", segment_to_json(s)) for s in report.segments]
            events += [("recording.gap", gap_to_json(gap)) for gap in report.gaps]
            events += [
                ("recording.quarantined", {"file": q.original.name, "reason": q.reason})
                for q in report.quarantined
            ]
            hearing_id = int(directory.name)
            try:
                for kind, payload in events:
                    await self._log(hearing_id, kind, payload)
            except NotFound:
                log.warning("recordings of unknown hearing %s left in %s", hearing_id, directory)
            if events:
                log.info("hearing %s: %d recording events recovered", hearing_id, len(events))

    async def close(self) -> None:
        for hearing_id in list(self.recordings):
            try:
                await self.stop(hearing_id)
            except Exception:
                log.exception("hearing %s: stopping the recording failed", hearing_id)
