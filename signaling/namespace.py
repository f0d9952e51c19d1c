"""The Socket.IO adapter: sessions and origins checked at connect, messages to room calls."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.exceptions import HearingServerError
from hearing_server.hearing_state import HearingState
from hearing_server.hearings import access_hearing
from hearing_server.models import Participant
from hearing_server.participants import resolve_party_session
from hearing_server.principals import Principal
from hearing_server.web.keys import CLOCK, DATABASE, SETTINGS
from hearing_server.web.middleware import allowed_origins, resolve_principal
from signaling import messages as m
from signaling.courtroom import Courtroom, CourtroomRegistry, slots_to_wire
from signaling.exceptions import BadMessage, NotAllowed, SignalingError, WrongState
from signaling.ice import ice_servers_for
from signaling.media.exceptions import MediaError, NotAttached

log = logging.getLogger(__name__)
NAMESPACE = "/hearing"
COURTROOMS = web.AppKey("courtrooms", CourtroomRegistry)
CLOSED_TO_PARTIES = frozenset({HearingState.SCHEDULED, HearingState.SEALED})


def _request(environ: dict[str, Any]) -> web.Request:
    request = environ.get("aiohttp.request")
    if not isinstance(request, web.Request):
        raise ConnectionRefusedError("unsupported transport")
    return request


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
        sid = args[0]
        data = args[1] if len(args) > 1 else None
        try:
            message = m.parse_message(event, data)
            result = await self._dispatch(sid, message)
        except (SignalingError, MediaError) as exc:
            error = {"code": exc.code, "message": exc.message, "ref": event[:40]}
            await self.emit("error", error, to=sid)
            return {"ok": False, "error": error}
        except HearingServerError as exc:
            error = {"code": exc.code, "message": exc.message, "ref": event[:40]}
            await self.emit("error", error, to=sid)
            return {"ok": False, "error": error}
        except Exception:
            log.exception("socket %s: %s failed", sid, event[:40])
            error = {"code": "internal_error", "message": "the server failed; it was logged",
                     "ref": event[:40]}  # fmt: skip
            await self.emit("error", error, to=sid)
            return {"ok": False, "error": error}
        return {"ok": True, **result}

    # connection -------------------------------------------------------------------------

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool:
        request = _request(environ)
        origin = request.headers.get("Origin")
        if origin is not None and origin not in allowed_origins(request):
            raise socketio.exceptions.ConnectionRefusedError("origin not allowed")
        if not isinstance(auth, dict) or not isinstance(auth.get("hearing_id"), int):
            raise socketio.exceptions.ConnectionRefusedError("auth.hearing_id is required")
        hearing_id: int = auth["hearing_id"]
        principal = await self._principal(request, auth)
        if principal is None:
            raise socketio.exceptions.ConnectionRefusedError("sign in first")
        try:
            async with self.app[DATABASE].read() as session:
                access = await access_hearing(session, principal, hearing_id)
        except HearingServerError as exc:
            raise socketio.exceptions.ConnectionRefusedError(exc.message) from None
        participant = access.participant
        if participant is None or participant.id is None:
            raise socketio.exceptions.ConnectionRefusedError("you are not part of this hearing")
        state = HearingState(access.hearing.state)
        if not access.is_staff and state in CLOSED_TO_PARTIES:
            raise socketio.exceptions.ConnectionRefusedError(
                "the courtroom is not open"
                if state is HearingState.SCHEDULED
                else "the hearing is over"
            )
        room = self.courtrooms.get(hearing_id)
        async with room.lock:
            try:
                events = room.state.connect(
                    participant.id, role=participant.role, name=participant.display_name,
                    identity_verified=participant.identity_verified,
                    now=self.courtrooms.now_s(),
                )  # fmt: skip
            except SignalingError as exc:
                raise socketio.exceptions.ConnectionRefusedError(exc.message) from None
            previous = room.sids.get(participant.id)
            room.sids[participant.id] = sid
            await self.save_session(
                sid, {"hearing_id": hearing_id, "participant_id": participant.id,
                      "actor": principal.actor},
            )  # fmt: skip
            await self.enter_room(sid, room.channel)
            if previous is not None and previous != sid:
                await self.disconnect(previous)
            await self.courtrooms.record(room, principal.actor, events)
        log.info("hearing %s participant %s: connected (%s)", hearing_id, participant.id, sid)
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
            return
        room = self.courtrooms.rooms.get(info["hearing_id"])
        if room is None:
            return
        pid = info["participant_id"]
        async with room.lock:
            if room.sids.get(pid) != sid:
                return  # replaced by a newer connection of the same participant
            events = room.state.disconnect(pid, now=self.courtrooms.now_s())
            await self.courtrooms.record(room, info["actor"], events)

    # messages ---------------------------------------------------------------------------

    async def _dispatch(self, sid: str, message: m.Message) -> dict[str, Any]:
        info = await self.get_session(sid)
        room = self.courtrooms.rooms.get(info["hearing_id"])
        if room is None:
            raise WrongState("the courtroom was closed")
        me: int = info["participant_id"]
        actor: str = info["actor"]
        async with room.lock:
            if room.sids.get(me) != sid:
                raise NotAllowed("this connection was replaced by a newer one")
            return await self._apply(room, me, actor, message)

    async def _apply(
        self, room: Courtroom, me: int, actor: str, message: m.Message
    ) -> dict[str, Any]:
        state = room.state
        match message:
            case m.Join():
                return {"room": state.snapshot(), "you": me, "ice_servers": self._ice(me)}
            case m.Offer(sdp=sdp):
                if not state.may_have_media(me):
                    raise WrongState("wait until the judge admits you")
                member = state.member(me)
                answer = await room.media.attach(me, sdp, publish=member.publishes, receive=True)
                room.media.set_audio_only(me, member.audio_only)
                await self.emit("answer", {"sdp": answer}, to=room.sids[me])
                return {"sdp": answer, "slots": slots_to_wire(room.media.track_map(me))}
            case m.Admit(participant_id=pid):
                events = state.admit(me, pid)
                await self._tell(room, pid, "admitted", {})
            case m.Deny(participant_id=pid):
                events = state.deny(me, pid)
                await self._tell(room, pid, "denied", {})
                await self._drop_socket(room, pid)
            case m.Remove(participant_id=pid):
                events = state.remove(me, pid)
                await room.media.detach(pid)
                await self._tell(room, pid, "removed", {})
                await self._drop_socket(room, pid)
            case m.ConfirmIdentity(participant_id=pid):
                events = state.confirm_identity(me, pid)
                await self._store_identity(pid)
            case m.Mute(participant_id=pid, muted=muted):
                events = state.set_muted(me, pid, muted)
                room.media.set_audio_muted(pid, muted)
            case m.SetAudioOnly(participant_id=pid, audio_only=audio_only):
                events = state.set_audio_only(me, pid, audio_only)
                with contextlib.suppress(NotAttached):  # else applied when media connects
                    room.media.set_audio_only(pid, audio_only)
            case m.SetStage(stage=stage):
                events = state.set_stage(me, stage)
            case m.AcceptRules():
                events = state.accept_rules(me)
            case m.Leave():
                events = state.leave(me)
                await room.media.detach(me)
            case _:
                raise BadMessage("unsupported message")
        await self.courtrooms.record(room, actor, events)
        return {"version": state.version}

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
            self.courtrooms.spawn(self.disconnect(sid))

    async def _store_identity(self, participant_id: int) -> None:
        async with self.app[DATABASE].write() as session:
            participant = await _participant(session, participant_id)
            participant.identity_verified = True
            session.add(participant)


async def _participant(session: AsyncSession, participant_id: int) -> Participant:
    participant = await session.get(Participant, participant_id)
    if participant is None:
        raise BadMessage(f"participant {participant_id} not found")
    return participant


def attach_signaling(app: web.Application) -> socketio.AsyncServer:
    """Mount Socket.IO on the app and own the courtrooms' lifetime in a cleanup context."""

    def origin_allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return True
        return origin in allowed_origins(_request(environ))

    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=origin_allowed,
        max_http_buffer_size=m.MAX_MESSAGE_BYTES + 4096,
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
    )
    sio.register_namespace(HearingNamespace(app))
    sio.attach(app, socketio_path="socket.io")

    async def emit(event: str, data: Any, to: str) -> None:
        await sio.emit(event, data, to=to, namespace=NAMESPACE)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        registry = CourtroomRegistry(
            database=app[DATABASE], clock=app[CLOCK],
            grace_s=app[SETTINGS].reconnect_grace_seconds, emit=emit,
        )  # fmt: skip
        registry.start()
        app[COURTROOMS] = registry
        try:
            yield
        finally:
            await registry.close()

    app.cleanup_ctx.append(lifetime)
    return sio
