"""The Socket.IO adapter: sessions and origins checked at connect, messages to room calls.

Thin on purpose: it parses wire messages (``messages.parse_message``), calls the pure
``RoomState`` and the ``MediaPort`` under the courtroom's lock, and hands the resulting change
to the registry, which logs and broadcasts it. Errors go to the sender only.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web

from hearing_server.domain.clock import iso_utc
from hearing_server.domain.exceptions import HearingServerError
from hearing_server.domain.hearing_state import HearingState, Transition
from hearing_server.services import transcript_live
from hearing_server.services.courtroom import MAX_CANDIDATES_PER_OFFER, Courtroom, CourtroomRegistry
from hearing_server.services.hearings import access_hearing
from hearing_server.services.party_sessions import resolve_party_session
from hearing_server.services.ports import MediaFactory, track_map_to_wire
from hearing_server.services.principals import Principal
from hearing_server.services.recording_control import RecordingControl, SegmentFileOpener
from hearing_server.services.signer_keys import bind_on_identity_confirmed
from hearing_server.store.models import Participant
from hearing_server.web.keys import (
    CLOCK,
    COURTROOMS,
    DATABASE,
    RECORDING_STATUS,
    SETTINGS,
    SOCKET_JUNK_LOG,
    TRANSITION_LISTENERS,
)
from hearing_server.web.middleware import allowed_origins, resolve_principal
from recording.segment_writer import open_exclusive
from signaling import wire_json
from signaling.media.exceptions import MediaError, NotAttached
from signaling.media.factory import aiortc_media_factory
from signaling.protocol import messages as m
from signaling.protocol.exceptions import BadMessage, NotAllowed, SignalingError, WrongState
from signaling.protocol.ice import ice_servers_for
from signaling.protocol.room import NO_CHANGE, Change
from transcript.exceptions import TranscriptError

log = logging.getLogger(__name__)
NAMESPACE = "/hearing"
# Optional: set before the app starts to run courtrooms on another media engine.
MEDIA_FACTORY = web.AppKey("media_factory", MediaFactory)
RECORDINGS = web.AppKey("recordings", RecordingControl)
# Optional: set before the app starts to open recording files another way (disk-fault tests).
RECORDING_FILE_OPENER = web.AppKey("recording_file_opener", SegmentFileOpener)
CLOSED_TO_PARTIES = frozenset({HearingState.SCHEDULED, HearingState.SEALED})
STAFF_ROLES = frozenset({"judge", "clerk"})
# engineio closes the connection on frames over this; messages.py refuses payloads over
# MAX_MESSAGE_BYTES politely first. engineio's default would be 1 MB.
MAX_FRAME_BYTES = m.MAX_MESSAGE_BYTES + 4096


class Refused(socketio.exceptions.ConnectionRefusedError):  # type: ignore[misc]
    """A refused connection; the message reaches the client as ``connect_error``."""


def _request(environ: dict[str, Any]) -> web.Request:
    request = environ.get("aiohttp.request")
    if not isinstance(request, web.Request):
        raise Refused("unsupported transport")
    return request


def _error(code: str, message: str, event: str) -> dict[str, str]:
    return {"code": code, "message": message, "ref": event[:40]}


class HearingNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, app: web.Application) -> None:
        super().__init__(NAMESPACE)
        self.app = app

    @property
    def courtrooms(self) -> CourtroomRegistry:
        return self.app[COURTROOMS]

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            return await self._connect(args[0], args[1], args[2] if len(args) > 2 else None)
        if event == "disconnect":
            return await self._disconnect(args[0])
        sid: str = args[0]
        try:
            message = m.parse_message(event, args[1] if len(args) > 1 else None)
            result = await self._dispatch(sid, message)
        except (SignalingError, MediaError, HearingServerError, TranscriptError) as exc:
            error = _error(exc.code, exc.message, event)
        except Exception:
            log.exception("%s: %s failed", await self._who(sid), event[:40])
            error = _error("internal_error", "the server failed; it was logged", event)
        else:
            return {"ok": True, **result}
        await self.emit("error", error, to=sid)
        return {"ok": False, "error": error}

    async def _who(self, sid: str) -> str:
        with contextlib.suppress(KeyError):
            info = await self.get_session(sid)
            return f"hearing {info['hearing_id']} participant {info['participant_id']}"
        return f"socket {sid}"

    # connection -------------------------------------------------------------------------

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool:
        try:
            return await self._admit_connection(sid, environ, auth)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except HearingServerError as exc:
            raise Refused(exc.message) from None
        except Exception:
            log.exception("socket %s: connecting failed", sid)
            raise Refused("the server failed; it was logged") from None

    async def _admit_connection(self, sid: str, environ: dict[str, Any], auth: Any) -> bool:
        request = _request(environ)
        origin = request.headers.get("Origin")
        if origin is not None and origin not in allowed_origins(request):
            raise Refused("origin not allowed")
        hearing_id = auth.get("hearing_id") if isinstance(auth, dict) else None
        if isinstance(hearing_id, bool) or not isinstance(hearing_id, int):
            raise Refused("auth.hearing_id is required")
        principal = await self._principal(request, auth)
        if principal is None:
            raise Refused("sign in first")
        async with self.app[DATABASE].read() as session:
            access = await access_hearing(session, principal, hearing_id)
        participant = access.participant
        if participant is None or participant.id is None:
            raise Refused("you are not part of this hearing")
        state = HearingState(access.hearing.state)
        if not access.is_staff and state in CLOSED_TO_PARTIES:
            raise Refused(
                "the courtroom is not open" if state is HearingState.SCHEDULED
                else "the hearing is over"
            )  # fmt: skip
        pid = participant.id
        room = await self.courtrooms.open(hearing_id)
        async with room.lock:
            try:
                change = room.state.connect(
                    pid, role=participant.role, name=participant.display_name,
                    identity_verified=participant.identity_verified, now=self.courtrooms.now_s(),
                )  # fmt: skip
            except SignalingError as exc:
                raise Refused(exc.message) from None
            previous = room.sids.get(pid)
            room.sids[pid] = sid
            await self.save_session(
                sid, {"hearing_id": hearing_id, "participant_id": pid, "actor": principal.actor}
            )
            await self.enter_room(sid, room.channel)
            if previous is not None and previous != sid:
                # not awaited here: its disconnect handler takes this room's lock
                await self.leave_room(previous, room.channel)
                self.courtrooms.spawn(self.disconnect(previous), f"replacing socket {previous}")
            await self.courtrooms.record(room, principal.actor, change)
        log.info("hearing %s participant %s: connected (%s, %s)",
                 hearing_id, pid, sid, ",".join(change.kinds))  # fmt: skip
        return True

    async def _principal(self, request: web.Request, auth: dict[str, Any]) -> Principal | None:
        principal = await resolve_principal(request)
        token = auth.get("token")
        if principal is None and isinstance(token, str) and 0 < len(token) <= 128:
            async with self.app[DATABASE].read() as session:
                return await resolve_party_session(session, token, now=self.app[CLOCK].now())
        return principal

    async def _disconnect(self, sid: str) -> None:
        try:
            info = await self.get_session(sid)
        except KeyError:
            return  # refused at connect
        room = self.courtrooms.rooms.get(info["hearing_id"])
        if room is None:
            return
        pid = info["participant_id"]
        async with room.lock:
            if room.sids.get(pid) != sid:
                return  # replaced by a newer connection, removed or denied
            change = room.state.disconnect(pid, now=self.courtrooms.now_s())
            await self.courtrooms.record(room, info["actor"], change)
        log.info("hearing %s participant %s: disconnected (%s)", room.hearing_id, pid, sid)

    # messages ---------------------------------------------------------------------------

    async def _dispatch(self, sid: str, message: m.Message) -> dict[str, Any]:
        info = await self.get_session(sid)
        room = self.courtrooms.rooms.get(info["hearing_id"])
        if room is None:
            raise WrongState("the courtroom was closed")
        me: int = info["participant_id"]
        async with room.lock:
            if room.sids.get(me) != sid:
                raise NotAllowed("this connection was replaced by a newer one")
            if isinstance(message, m.Join):
                return {"room": room.state.snapshot(), "you": me, "ice_servers": self._ice(me),
                        "transcript": transcript_live.transcript_for(room, me),
                        "recording": self.app[RECORDINGS].status(room.hearing_id),
                        "quality": self._quality_for(room, me),
                        "messages": room.messages.visible_to(me)}  # fmt: skip
            if isinstance(message, m.TRANSCRIPT_MESSAGES):
                return await transcript_live.handle(
                    self.courtrooms, room, me, info["actor"], message
                )
            if isinstance(message, m.Offer | m.IceCandidate):
                return await self._media(room, me, message)
            if isinstance(message, m.RecordingPause | m.RecordingResume):
                return await self._recording(room, me, message)
            if isinstance(message, m.QualityReport):
                return await self._quality(room, me, message)
            if isinstance(message, m.CourtMessage):
                return await self._message(room, me, info["actor"], message)
            change = await self._act(room, me, message)
            await self.courtrooms.record(room, info["actor"], change)
            if isinstance(message, m.ConfirmIdentity) and change.events:
                await self._bind_signer_key(room.hearing_id, message.participant_id, info)
            return {"version": room.state.version}

    async def _recording(
        self, room: Courtroom, me: int, message: m.RecordingPause | m.RecordingResume
    ) -> dict[str, Any]:
        if room.state.member(me).role != "judge":
            raise NotAllowed("only the judge may pause or resume the recording")
        control = self.app[RECORDINGS]
        if isinstance(message, m.RecordingPause):
            await control.pause(room.hearing_id, message.reason.value)
        else:
            await control.resume(room.hearing_id)
        return {"recording": control.status(room.hearing_id)}

    async def _message(
        self, room: Courtroom, me: int, actor: str, message: m.CourtMessage
    ) -> dict[str, Any]:
        """Logged first, then delivered to its recipients' current sockets."""
        delivery = room.messages.send(
            room.state, me, message, now_s=self.courtrooms.now_s(),
            at=iso_utc(self.app[CLOCK].now()),
        )  # fmt: skip
        await self.courtrooms.log(room, actor, [delivery.event])
        for pid in sorted(delivery.recipients):
            sid = room.sids.get(pid)
            if sid is not None:
                await self.emit("message", delivery.wire, to=sid)
        return {"message": delivery.wire}

    def _quality_for(self, room: Courtroom, me: int) -> list[dict[str, Any]]:
        return room.quality.to_wire() if room.state.member(me).role in STAFF_ROLES else []

    async def _quality(self, room: Courtroom, me: int, message: m.QualityReport) -> dict[str, Any]:
        """Kept and sent to the hearing's judge and clerk only; never logged (it is not an act)."""
        if not room.state.may_have_media(me):
            raise WrongState("wait until the judge admits you")
        quality = room.quality.report(me, message.loss, message.rtt_ms, now=self.courtrooms.now_s())
        if quality is None:
            return {"level": None, "ignored": True}
        for pid, sid in room.sids.items():
            if room.state.member(pid).role in STAFF_ROLES:
                await self.emit("quality", quality.to_wire(), to=sid)
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
        await self.emit("answer", {"sdp": answer}, to=room.sids[me])
        return {"sdp": answer, **track_map_to_wire(room.media.track_map(me))}

    async def _act(self, room: Courtroom, me: int, message: m.Message) -> Change:
        state, media = room.state, room.media
        match message:
            case m.Admit(participant_id=pid):
                change = state.admit(me, pid)
                transcript = transcript_live.transcript_for(room, pid)
                await self._tell(room, pid, "admitted", {"transcript": transcript})
            case m.Deny(participant_id=pid):
                change = state.deny(me, pid)
                await self._tell(room, pid, "denied", {})
                await self._drop_socket(room, pid)
            case m.Remove(participant_id=pid):
                change = state.remove(me, pid)
                await media.detach(pid)
                await self._tell(room, pid, "removed", {})
                await self._drop_socket(room, pid)
            case m.ConfirmIdentity(participant_id=pid):
                change = state.confirm_identity(me, pid)
                await self._store_identity(room.hearing_id, pid)
            case m.Mute(participant_id=pid, muted=muted):
                change = state.set_muted(me, pid, muted)
                media.set_audio_muted(pid, muted)
            case m.SetAudioOnly(participant_id=pid, audio_only=audio_only):
                change = state.set_audio_only(me, pid, audio_only)
                with contextlib.suppress(NotAttached):  # else applied on the next offer
                    media.set_audio_only(pid, audio_only)
            case m.RaiseHand():
                change = state.raise_hand(me, now=self.courtrooms.now_s())
            case m.LowerHand(participant_id=pid):
                change = state.lower_hand(me, me if pid is None else pid)
            case m.SetStage(stage=stage):
                change = state.set_stage(me, stage)
            case m.AcceptRules():
                change = state.accept_rules(me)
            case m.Leave():
                change = state.leave(me)
                await media.detach(me)
            case _:
                change = NO_CHANGE
        return change

    def _ice(self, participant_id: int) -> list[dict[str, Any]]:
        settings = self.app[SETTINGS]
        return ice_servers_for(
            settings.ice_servers, turn_secret=settings.turn_secret, user=str(participant_id),
            now_s=int(self.courtrooms.now_s()), ttl_s=settings.turn_ttl_seconds,
        )  # fmt: skip

    async def _tell(self, room: Courtroom, pid: int, event: str, data: Any) -> None:
        sid = room.sids.get(pid)
        if sid is not None:
            await self.emit(event, data, to=sid)

    async def _drop_socket(self, room: Courtroom, pid: int) -> None:
        sid = room.sids.pop(pid, None)
        if sid is not None:
            await self.leave_room(sid, room.channel)
            self.courtrooms.spawn(self.disconnect(sid), f"hearing {room.hearing_id} drop {pid}")

    async def _bind_signer_key(self, hearing_id: int, pid: int, info: dict[str, Any]) -> None:
        """Identity confirmed: the key the participant registered so far becomes theirs."""
        async with self.app[DATABASE].write() as session:
            await bind_on_identity_confirmed(
                session, hearing_id, pid, actor=info["actor"], now=self.app[CLOCK].now()
            )

    async def _store_identity(self, hearing_id: int, participant_id: int) -> None:
        async with self.app[DATABASE].write() as session:
            participant = await session.get(Participant, participant_id)
            if participant is None or participant.hearing_id != hearing_id:
                raise WrongState(f"participant {participant_id} is not in this hearing")
            participant.identity_verified = True
            session.add(participant)


def attach_signaling(app: web.Application) -> socketio.AsyncServer:
    """Mount Socket.IO on the app and own the courtrooms' lifetime in a cleanup context.

    Call after the database's cleanup context is added: courtrooms log to it and must close
    before it does. Media: ``app[MEDIA_FACTORY]`` if set at startup, else the aiortc engine."""

    def origin_allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        return origin is None or origin in allowed_origins(_request(environ))

    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=origin_allowed,
        max_http_buffer_size=MAX_FRAME_BYTES,
        json=wire_json,
        ping_interval=10,
        ping_timeout=10,
        # Junk from clients is said in one budgeted line, not an ERROR with a traceback
        # (and never twice: engineio's own logger would add a second handler).
        logger=app[SOCKET_JUNK_LOG],
        engineio_logger=app[SOCKET_JUNK_LOG],
        namespaces=[NAMESPACE],  # only /hearing is served: "/" and any other are refused
    )
    sio.register_namespace(HearingNamespace(app))
    sio.attach(app, socketio_path="socket.io")

    async def emit(event: str, data: Any, to: str) -> None:
        await sio.emit(event, data, to=to, namespace=NAMESPACE)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        media_factory = app.get(MEDIA_FACTORY) or aiortc_media_factory(settings.ice_servers)
        registry = CourtroomRegistry(
            database=app[DATABASE], clock=app[CLOCK], grace_s=settings.reconnect_grace_seconds,
            emit=emit, media_factory=media_factory,
        )  # fmt: skip
        registry.start()
        app[COURTROOMS] = registry
        recordings = RecordingControl(
            registry, database=app[DATABASE], clock=app[CLOCK], data_dir=settings.data_dir,
            segment_s=settings.recording_segment_seconds, emit=emit,
            opener=app.get(RECORDING_FILE_OPENER) or open_exclusive,
            queue_frames=settings.recording_queue_frames,
        )  # fmt: skip
        app[TRANSITION_LISTENERS].append(recordings.on_transition)

        async def announce(hearing_id: int, transition: Transition) -> None:
            """Everyone in the courtroom learns the hearing's new state (consoles, phones)."""
            room = registry.rooms.get(hearing_id)
            if room is not None:
                await emit("hearing_state", {
                    "state": transition.target.value, "from": transition.source.value,
                    "action": transition.action.value,
                }, room.channel)  # fmt: skip

        app[TRANSITION_LISTENERS].append(announce)
        app[RECORDINGS] = recordings
        app[RECORDING_STATUS] = recordings
        await recordings.recover_all()
        await recordings.restart_in_session()
        try:
            yield
        finally:
            await recordings.close()
            await registry.close()

    app.cleanup_ctx.append(lifetime)

    async def stop_background_tasks(_app: web.Application) -> None:
        # engineio's ping service task must be stopped this way before the server goes: on
        # Python 3.11 cancelling it can leave it waiting forever, and the loop never closes.
        await sio.shutdown()

    app.on_shutdown.append(stop_background_tasks)
    return sio
