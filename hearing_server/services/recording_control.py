"""Starts, pauses and stops each live hearing's recording as the hearing changes state.

In session → recording (started, or resumed after a recess); recessed → paused with the reason
``recess``; closed → stopped, every segment closed and logged. Registered as a listener of the
REST transitions (``hearing_server.web.keys.TRANSITION_LISTENERS``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Protocol

from sqlmodel import col, select

from hearing_server.domain.clock import Clock
from hearing_server.domain.exceptions import NotFound, ValidationFailed
from hearing_server.domain.hearing_state import HearingState, Transition
from hearing_server.services.courtroom import CourtroomRegistry
from hearing_server.services.hearings import get_hearing
from hearing_server.services.recording_live import LiveRecording, gap_to_json, segment_to_json
from hearing_server.services.recording_status import RecordingStatus
from hearing_server.services.recordings import NewSegment, add_segment, recordings_root
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import Hearing, HearingEvent
from recording import ClosedSegment, recover_hearing
from recording.segment_writer import FileOpener, RawSink, open_exclusive
from signaling.protocol.exceptions import WrongState

log = logging.getLogger(__name__)
RECORDING_STATE_EVENTS = ("recording.started", "recording.paused", "recording.resumed",
                          "recording.stopped")  # fmt: skip


class SegmentFileOpener(Protocol):
    """Opens a new segment file for writing (``open_exclusive``; tests inject disk faults)."""

    def __call__(self, path: Path, /) -> RawSink: ...


def last_pause_reason(events: list[tuple[str, dict[str, Any]]]) -> str | None:
    """The reason the recording was paused for when the log ends, or None if it was not."""
    reason: str | None = None
    for kind, payload in events:
        reason = str(payload.get("reason")) if kind == "recording.paused" else None
    return reason


class RecordingControl:
    def __init__(
        self,
        registry: CourtroomRegistry,
        *,
        database: Database,
        clock: Clock,
        data_dir: Path,
        segment_s: float,
        opener: FileOpener = open_exclusive,
        queue_frames: int = 2000,
    ) -> None:
        self.registry = registry
        self.database = database
        self.clock = clock
        self.data_dir = data_dir
        self.segment_s = segment_s
        self.opener = opener  # how segment files are opened (a test injects disk faults)
        self.queue_frames = queue_frames  # the writer's inbox: frames it may fall behind by
        self.recordings: dict[int, LiveRecording] = {}
        self.statuses: dict[int, RecordingStatus] = {}

    async def on_transition(self, hearing_id: int, transition: Transition) -> None:
        if transition.target is HearingState.IN_SESSION:
            await self.start(hearing_id)
        elif transition.target is HearingState.RECESSED:
            recording = self.recordings.get(hearing_id)
            if recording is not None:
                await recording.pause("recess")
                await self._set_status(hearing_id, self._status(hearing_id).paused("recess"))
        elif transition.target is HearingState.CLOSED:
            await self.stop(hearing_id)

    async def start(self, hearing_id: int) -> None:
        room = await self.registry.open(hearing_id)
        origin = await self._timeline_origin(hearing_id)
        recording = self.recordings.get(hearing_id)
        if recording is None:
            media = room.media

            async def log_event(kind: str, payload: dict[str, Any]) -> None:
                await self._log(hearing_id, kind, payload)

            async def log_segment(kind: str, segment: ClosedSegment) -> None:
                await self._log_segment(hearing_id, kind, segment)

            async def alert(payload: dict[str, Any]) -> None:
                await self._alert(hearing_id, payload)

            recording = LiveRecording(
                hearing_id, recordings_root(self.data_dir) / str(hearing_id),
                log_event=log_event, log_segment=log_segment, alert=alert,
                request_keyframe=media.request_keyframe, segment_s=self.segment_s,
                opener=self.opener, queue_frames=self.queue_frames,
            )  # fmt: skip
            self.recordings[hearing_id] = recording
            media.set_packet_tap(recording.tap)
            await recording.start(origin_epoch_s=origin)
        else:
            await recording.start()
        await self._set_status(hearing_id, self._status(hearing_id).started())

    async def pause(self, hearing_id: int, reason: str) -> None:
        """The judge's pause (non-public evidence, mediation caucus, recess)."""
        recording = self.recordings.get(hearing_id)
        if recording is None or not recording.active:
            raise WrongState("the hearing is not being recorded")
        await recording.pause(reason)
        await self._set_status(hearing_id, self._status(hearing_id).paused(reason))

    async def resume(self, hearing_id: int) -> None:
        recording = self.recordings.get(hearing_id)
        if recording is None or recording.active:
            raise WrongState("the recording is not paused")
        await recording.start()
        await self._set_status(hearing_id, self._status(hearing_id).started())

    def status(self, hearing_id: int) -> dict[str, Any]:
        """``{state, active, reason}`` as clients get it in ``recording`` events."""
        return self._status(hearing_id).to_wire()

    def _status(self, hearing_id: int) -> RecordingStatus:
        return self.statuses.get(hearing_id, RecordingStatus())

    async def stop(self, hearing_id: int) -> None:
        recording = self.recordings.pop(hearing_id, None)
        if recording is None:
            return
        room = self.registry.rooms.get(hearing_id)
        if room is not None:
            room.media.set_packet_tap(None)
        await recording.stop()
        await self._set_status(hearing_id, self._status(hearing_id).stopped())

    async def _set_status(self, hearing_id: int, status: RecordingStatus) -> None:
        self.statuses[hearing_id] = status
        room = self.registry.rooms.get(hearing_id)
        if room is not None:
            await self.registry.to_room(room, "recording", status.to_wire())

    async def _alert(self, hearing_id: int, payload: dict[str, Any]) -> None:
        """A disk failure, the recovery from one, or a writer falling behind: tell the room."""
        room = self.registry.rooms.get(hearing_id)
        if room is not None:
            await self.registry.to_room(room, "recording_alert", payload)
        status = self._status(hearing_id)
        if payload["kind"] == "failed":
            await self._set_status(hearing_id, status.disk_failed())
        elif payload["kind"] == "resumed":
            await self._set_status(hearing_id, status.disk_recovered())

    async def _log(self, hearing_id: int, kind: str, payload: dict[str, Any]) -> None:
        async with self.database.write() as session:
            hearing = await get_hearing(session, hearing_id, lock=True)
            await append_event(
                session, hearing, actor="system", kind=kind, payload=payload,
                at=self.clock.now(),
            )  # fmt: skip

    async def _log_segment(self, hearing_id: int, kind: str, segment: ClosedSegment) -> None:
        """The segment's database row and its log event, in one transaction."""
        payload = segment_to_json(segment)
        if not segment.participant_id.isdigit():  # not a participant of this server
            log.warning("hearing %s: segment %s of participant %r logged without a row",
                        hearing_id, segment.path.name, segment.participant_id)  # fmt: skip
            await self._log(hearing_id, kind, payload)
            return
        root = recordings_root(self.data_dir)
        row = NewSegment(
            participant_id=int(segment.participant_id), kind=segment.kind.value,
            track_id=segment.track_id, path=segment.path.relative_to(root).as_posix(),
            size=segment.size_bytes, sha256=segment.sha256, duration_ms=segment.duration_ms,
            start_ms=segment.timeline_start_ms, end_ms=segment.timeline_end_ms,
            recovered=segment.recovered,
        )  # fmt: skip
        try:
            async with self.database.write() as session:
                await add_segment(
                    session, hearing_id, row, event_kind=kind, event_payload=payload,
                    at=self.clock.now(),
                )  # fmt: skip
        except ValidationFailed as exc:  # on the record all the same, without a row
            log.warning("hearing %s: segment %s logged without a row: %s",
                        hearing_id, segment.path.name, exc.message)  # fmt: skip
            await self._log(hearing_id, kind, payload)

    async def _recording_events(self, hearing_id: int) -> list[tuple[str, dict[str, Any]]]:
        async with self.database.read() as session:
            rows = await session.exec(
                select(HearingEvent.kind, HearingEvent.payload)
                .where(HearingEvent.hearing_id == hearing_id)
                .where(col(HearingEvent.kind).in_(RECORDING_STATE_EVENTS))
                .order_by(col(HearingEvent.seq))
            )
            return [(kind, json.loads(payload)) for kind, payload in rows.all()]

    async def _timeline_origin(self, hearing_id: int) -> float | None:
        """When this hearing's recording first started (its timeline's zero), if it ever did."""
        for kind, payload in await self._recording_events(hearing_id):
            if kind == "recording.started" and "origin_epoch_ms" in payload:
                return int(payload["origin_epoch_ms"]) / 1000
        return None

    async def restart_in_session(self) -> None:
        """At start-up, after recovery: hearings still in session are recorded again, on the
        same timeline, paused again if the judge had paused them."""
        async with self.database.read() as session:
            rows = await session.exec(
                select(Hearing.id).where(Hearing.state == HearingState.IN_SESSION.value)
            )
            hearing_ids = [hid for hid in rows.all() if hid is not None]
        for hearing_id in hearing_ids:
            try:
                reason = last_pause_reason(await self._recording_events(hearing_id))
                await self.start(hearing_id)
                if reason is not None:
                    await self.pause(hearing_id, reason)
                log.info("hearing %s: recording restarted (paused: %s)", hearing_id, reason)
            except Exception:
                log.exception("hearing %s: restarting the recording failed", hearing_id)

    async def recover_all(self) -> None:
        """At start-up: remux segments a crash left open and put them and the gap on record."""
        root = recordings_root(self.data_dir)
        if not root.is_dir():
            return
        for directory in sorted(root.iterdir()):
            if not directory.is_dir() or not directory.name.isdigit():
                continue
            report = await asyncio.to_thread(recover_hearing, directory)
            events = [("recording.gap", gap_to_json(gap)) for gap in report.gaps]
            events += [
                ("recording.quarantined", {"file": q.original.name, "reason": q.reason})
                for q in report.quarantined
            ]
            hearing_id = int(directory.name)
            try:
                for segment in report.segments:
                    await self._log_segment(hearing_id, "recording.segment_recovered", segment)
                for kind, payload in events:
                    await self._log(hearing_id, kind, payload)
            except NotFound:
                log.warning("recordings of unknown hearing %s left in %s", hearing_id, directory)
            except Exception:  # one hearing's bookkeeping must not keep the server down
                log.exception("hearing %s: logging its recovered recording failed", hearing_id)
            if report.segments or events:
                log.info("hearing %s: %d segments recovered, %d recording events",
                         hearing_id, len(report.segments), len(events))  # fmt: skip

    async def close(self) -> None:
        for hearing_id in list(self.recordings):
            try:
                await self.stop(hearing_id)
            except Exception:
                log.exception("hearing %s: stopping the recording failed", hearing_id)
