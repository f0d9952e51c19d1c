"""Every act in a live courtroom, from connecting to muting, with its access rules.

The Socket.IO adapter (``signaling.namespace``) parses a wire message and calls ``act``; this
module decides. Each act runs under the courtroom's lock in the same order: check, change the
pure room state, commit its events (with any other rows, e.g. identity confirmation's) in one
transaction, and only then its effects: media changes, the people told, broadcasts. If the
commit fails, the room's state is put back (``CourtroomRegistry.act``) and nobody is told.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.clock import iso_utc
from hearing_server.domain.hearing_state import HearingState
from hearing_server.domain.roles import STAFF_ROLES, Role
from hearing_server.services import transcript_live
from hearing_server.services.courtroom import (
    MAX_CANDIDATES_PER_OFFER,
    AlsoWrite,
    Courtroom,
    CourtroomRegistry,
)
from hearing_server.services.hearings import access_hearing
from hearing_server.services.ports import track_map_to_wire
from hearing_server.services.principals import Principal
from hearing_server.services.session_ends import (
    SESSION_ENDED_MESSAGE,
    SessionRef,
    session_is_live,
    session_of,
)
from hearing_server.services.signer_keys import bind_on_identity_confirmed
from hearing_server.store.models import Hearing, Participant
from signaling.protocol import messages as m
from signaling.protocol.exceptions import BadMessage, NotAllowed, WrongState
from signaling.protocol.media_errors import NotAttached
from signaling.protocol.room import NO_CHANGE, Change

log = logging.getLogger(__name__)
CLOSED_TO_PARTIES = frozenset({HearingState.SCHEDULED, HearingState.SEALED})
IceFor = Callable[[int], list[dict[str, Any]]]  # participant id -> the ICE servers to use


class RecordingDesk(Protocol):
    """What the courtroom needs of the recorder (``RecordingControl``)."""

    async def pause(self, hearing_id: int, reason: str) -> None: ...
    async def resume(self, hearing_id: int) -> None: ...
    def status(self, hearing_id: int) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Seat:
    """One connection's place in a courtroom; the adapter keeps it with the connection."""

    hearing_id: int
    participant_id: int
    actor: str
    connection: str
    session: SessionRef  # the sign-in it came from: every act checks it is still live


class CourtroomActs:
    def __init__(
        self, registry: CourtroomRegistry, *, recordings: RecordingDesk, ice_for: IceFor
    ) -> None:
        self.registry = registry
        self.recordings = recordings
        self.ice_for = ice_for

    # presence ---------------------------------------------------------------------------

    async def connect(self, principal: Principal, hearing_id: int, connection: str) -> Seat:
        """Seat a connection (a newer one replaces the older); refusals raise with a message
        that is safe for the client."""
        registry = self.registry
        async with registry.database.read() as session:
            access = await access_hearing(session, principal, hearing_id)
        participant = access.participant
        if participant is None or participant.id is None:
            raise NotAllowed("you are not part of this hearing")
        state = HearingState(access.hearing.state)
        if not access.is_staff and state in CLOSED_TO_PARTIES:
            raise WrongState(
                "the courtroom is not open" if state is HearingState.SCHEDULED
                else "the hearing is over"
            )  # fmt: skip
        pid = participant.id
        room = await registry.open(hearing_id)
        async with room.lock:
            async with registry.act(room):
                change = room.state.connect(
                    pid, role=participant.role, name=participant.display_name,
                    identity_verified=participant.identity_verified, now=registry.now_s(),
                )  # fmt: skip
                await registry.commit(room, principal.actor, change)
            previous = room.sids.get(pid)
            room.sids[pid] = connection
            room.sessions[pid] = session_of(principal)
            await registry.notifier.seat(hearing_id, connection)
            if previous is not None and previous != connection:
                await registry.notifier.drop(hearing_id, previous)
            await registry.broadcast(room, change)
        log.info("hearing %s participant %s: connected (%s, %s)",
                 hearing_id, pid, connection, ",".join(change.kinds))  # fmt: skip
        return Seat(hearing_id, pid, principal.actor, connection, session_of(principal))

    async def disconnect(self, seat: Seat) -> None:
        room = self.registry.rooms.get(seat.hearing_id)
        if room is None:
            return
        pid = seat.participant_id
        async with room.lock:
            if room.sids.get(pid) != seat.connection:
                return  # replaced by a newer connection, removed or denied
            async with self.registry.act(room):
                change = room.state.disconnect(pid, now=self.registry.now_s())
                await self.registry.commit(room, seat.actor, change)
            await self.registry.broadcast(room, change)
        log.info("hearing %s participant %s: disconnected (%s)",
                 room.hearing_id, pid, seat.connection)  # fmt: skip

    # messages ---------------------------------------------------------------------------

    async def act(self, seat: Seat, message: m.Message) -> dict[str, Any]:
        """One message from a seated connection; returns the fields of its acknowledgement."""
        room = self.registry.rooms.get(seat.hearing_id)
        if room is None:
            raise WrongState("the courtroom was closed")
        me = seat.participant_id
        async with room.lock:
            if room.sids.get(me) != seat.connection:
                raise NotAllowed("this connection was replaced by a newer one")
            await self._still_signed_in(room, seat)
            if isinstance(message, m.TRANSCRIPT_MESSAGES):
                return await transcript_live.handle(self.registry, room, me, seat.actor, message)
            match message:
                case m.Join():
                    return self._join(room, me)
                case m.Offer() | m.IceCandidate():
                    return await self._media(room, me, message)
                case m.RecordingPause() | m.RecordingResume():
                    return await self._recording(room, me, message)
                case m.QualityReport():
                    return await self._quality(room, me, message)
                case m.CourtMessage():
                    return await self._message(room, me, seat.actor, message)
            await self._room_act(room, me, seat.actor, message)
            return {"version": room.state.version}

    async def _still_signed_in(self, room: Courtroom, seat: Seat) -> None:
        """(``room.lock`` held) An act whose session has ended is refused, nothing of it is
        logged, and the connection is dropped (``session_ends``)."""
        async with self.registry.database.read() as session:
            live = await session_is_live(session, seat.session, now=self.registry.clock.now())
        if not live:
            await self.registry.end_connection(room, seat.participant_id)
            raise NotAllowed(SESSION_ENDED_MESSAGE)

    def _join(self, room: Courtroom, me: int) -> dict[str, Any]:
        return {"room": room.state.snapshot(), "you": me, "ice_servers": self.ice_for(me),
                "transcript": transcript_live.transcript_for(room, me),
                "recording": self.recordings.status(room.hearing_id),
                "quality": self._quality_for(room, me),
                "messages": room.messages.visible_to(me)}  # fmt: skip

    async def _recording(
        self, room: Courtroom, me: int, message: m.RecordingPause | m.RecordingResume
    ) -> dict[str, Any]:
        if room.state.member(me).role != Role.JUDGE:
            raise NotAllowed("only the judge may pause or resume the recording")
        if isinstance(message, m.RecordingPause):
            await self.recordings.pause(room.hearing_id, message.reason.value)
        else:
            await self.recordings.resume(room.hearing_id)
        return {"recording": self.recordings.status(room.hearing_id)}

    async def _message(
        self, room: Courtroom, me: int, actor: str, message: m.CourtMessage
    ) -> dict[str, Any]:
        """Logged first, then delivered to its recipients' current connections."""
        registry = self.registry
        async with registry.act(room, messages=True):
            delivery = room.messages.send(
                room.state, me, message, now_s=registry.now_s(),
                at=iso_utc(registry.clock.now()),
            )  # fmt: skip
            await registry.log(room, actor, [delivery.event])
        for pid in sorted(delivery.recipients):
            await registry.to_member(room, pid, "message", delivery.wire)
        return {"message": delivery.wire}

    def _quality_for(self, room: Courtroom, me: int) -> list[dict[str, Any]]:
        return room.quality.to_wire() if room.state.member(me).role in STAFF_ROLES else []

    async def _quality(self, room: Courtroom, me: int, message: m.QualityReport) -> dict[str, Any]:
        """Kept and sent to the hearing's judge and clerk only; never logged (it is not an act)."""
        if not room.state.may_have_media(me):
            raise WrongState("wait until the judge admits you")
        quality = room.quality.report(me, message.loss, message.rtt_ms, now=self.registry.now_s())
        if quality is None:
            return {"level": None, "ignored": True}
        await self.registry.to_staff(room, "quality", quality.to_wire())
        return {"level": quality.level.value}

    async def _media(
        self, room: Courtroom, me: int, message: m.Offer | m.IceCandidate
    ) -> dict[str, Any]:
        if not room.state.may_have_media(me):
            raise WrongState("wait until the judge admits you")
        if isinstance(message, m.IceCandidate):
            count = room.trickled.get(me, 0) + 1
            if count > MAX_CANDIDATES_PER_OFFER:
                raise BadMessage(f"more than {MAX_CANDIDATES_PER_OFFER} candidates")
            room.trickled[me] = count
            return {"used": False}  # the server uses the candidates inside the offer
        member = room.state.member(me)
        room.trickled.pop(me, None)
        answer = await room.media.attach(me, message.sdp, publish=member.publishes, receive=True)
        room.media.set_audio_only(me, member.audio_only)
        await self.registry.to_member(room, me, "answer", {"sdp": answer})
        return {"sdp": answer, **track_map_to_wire(room.media.track_map(me))}

    # the room's own acts: state + events in one commit, then the effects ------------------

    async def _room_act(self, room: Courtroom, me: int, actor: str, message: m.Message) -> None:
        registry, state = self.registry, room.state
        also: AlsoWrite | None = None
        async with registry.act(room):
            match message:
                case m.Admit(participant_id=pid):
                    change = state.admit(me, pid)
                case m.Deny(participant_id=pid):
                    change = state.deny(me, pid)
                case m.Remove(participant_id=pid):
                    change = state.remove(me, pid)
                case m.ConfirmIdentity(participant_id=pid):
                    change = state.confirm_identity(me, pid)
                    also = _identity_confirmed(pid, actor=actor, registry=registry)
                case m.Mute(participant_id=pid, muted=muted):
                    change = state.set_muted(me, pid, muted)
                case m.SetAudioOnly(participant_id=pid, audio_only=audio_only):
                    change = state.set_audio_only(me, pid, audio_only)
                case m.RaiseHand():
                    change = state.raise_hand(me, now=registry.now_s())
                case m.LowerHand(participant_id=pid):
                    change = state.lower_hand(me, me if pid is None else pid)
                case m.SetStage(stage=stage):
                    change = state.set_stage(me, stage)
                case m.AcceptRules():
                    change = state.accept_rules(me)
                case m.Leave():
                    change = state.leave(me)
                case _:
                    change = NO_CHANGE
            await registry.commit(room, actor, change, also=also if change.events else None)
        await self._effects(room, me, message, change)

    async def _effects(self, room: Courtroom, me: int, message: m.Message, change: Change) -> None:
        """What follows a committed room act, in the order people should learn it."""
        registry, media = self.registry, room.media
        match message:
            case m.Admit(participant_id=pid):
                transcript = transcript_live.transcript_for(room, pid)
                await registry.to_member(room, pid, "admitted", {"transcript": transcript})
            case m.Deny(participant_id=pid):
                await registry.to_member(room, pid, "denied", {})
                await registry.drop(room, pid)
            case m.Remove(participant_id=pid):
                await media.detach(pid)
                await registry.to_member(room, pid, "removed", {})
                await registry.drop(room, pid)
            case m.Mute(participant_id=pid, muted=muted):
                media.set_audio_muted(pid, muted)
            case m.SetAudioOnly(participant_id=pid, audio_only=audio_only):
                with contextlib.suppress(NotAttached):  # else applied on the next offer
                    media.set_audio_only(pid, audio_only)
            case m.Leave():
                await media.detach(me)
        await registry.broadcast(room, change)


def _identity_confirmed(pid: int, *, actor: str, registry: CourtroomRegistry) -> AlsoWrite:
    """The rows identity confirmation writes beside its event: the participant's flag and the
    binding of the signing key they registered so far (see ``signer_keys``)."""

    async def write(session: AsyncSession, hearing: Hearing) -> None:
        participant = await session.get(Participant, pid)
        if participant is None or participant.hearing_id != hearing.id:
            raise WrongState(f"participant {pid} is not in this hearing")
        participant.identity_verified = True
        session.add(participant)
        await bind_on_identity_confirmed(
            session, hearing.id or 0, pid, actor=actor, now=registry.clock.now()
        )

    return write
