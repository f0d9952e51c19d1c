"""The Socket.IO adapter: sessions and origins checked at connect, messages to courtroom acts.

Thin on purpose: it resolves who is connecting, parses wire messages
(``messages.parse_message``), calls ``hearing_server.services.courtroom_acts`` and replies.
It implements the services' ``Notifier`` port over Socket.IO. Errors go to the sender only.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web

from hearing_server.domain.exceptions import HearingServerError
from hearing_server.domain.hearing_state import Transition
from hearing_server.services.courtroom import CourtroomRegistry
from hearing_server.services.courtroom_acts import CourtroomActs, Seat
from hearing_server.services.party_sessions import resolve_party_session
from hearing_server.services.ports import MediaFactory
from hearing_server.services.principals import Principal
from hearing_server.services.recording_control import RecordingControl, SegmentFileOpener
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
from signaling.media.factory import aiortc_media_factory
from signaling.protocol import messages as m
from signaling.protocol.exceptions import SignalingError
from signaling.protocol.ice import ice_servers_for
from signaling.protocol.media_errors import MediaError
from transcript.exceptions import TranscriptError

log = logging.getLogger(__name__)
NAMESPACE = "/hearing"
ACTS = web.AppKey("courtroom_acts", CourtroomActs)
# Optional: set before the app starts to run courtrooms on another media engine.
MEDIA_FACTORY = web.AppKey("media_factory", MediaFactory)
RECORDINGS = web.AppKey("recordings", RecordingControl)
# Optional: set before the app starts to open recording files another way (disk-fault tests).
RECORDING_FILE_OPENER = web.AppKey("recording_file_opener", SegmentFileOpener)
# engineio closes the connection on frames over this; messages.py refuses payloads over
# MAX_MESSAGE_BYTES politely first. engineio's default would be 1 MB.
MAX_FRAME_BYTES = m.MAX_MESSAGE_BYTES + 4096
REFUSALS = (SignalingError, MediaError, HearingServerError, TranscriptError)


class Refused(socketio.exceptions.ConnectionRefusedError):  # type: ignore[misc]
    """A refused connection; the message reaches the client as ``connect_error``."""


def _request(environ: dict[str, Any]) -> web.Request:
    request = environ.get("aiohttp.request")
    if not isinstance(request, web.Request):
        raise Refused("unsupported transport")
    return request


def _error(code: str, message: str, event: str) -> dict[str, str]:
    return {"code": code, "message": message, "ref": event[:40]}


def _channel(hearing_id: int) -> str:
    return f"hearing-{hearing_id}"


class SocketNotifier:
    """The services' ``Notifier`` over Socket.IO: a hearing is a Socket.IO room."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio
        self.registry: CourtroomRegistry | None = None  # set once the courtrooms exist

    async def to_hearing(self, hearing_id: int, event: str, data: Any) -> None:
        await self.sio.emit(event, data, to=_channel(hearing_id), namespace=NAMESPACE)

    async def to_connection(self, connection: str, event: str, data: Any) -> None:
        await self.sio.emit(event, data, to=connection, namespace=NAMESPACE)

    async def seat(self, hearing_id: int, connection: str) -> None:
        await self.sio.enter_room(connection, _channel(hearing_id), namespace=NAMESPACE)

    async def drop(self, hearing_id: int, connection: str) -> None:
        await self.sio.leave_room(connection, _channel(hearing_id), namespace=NAMESPACE)
        # not awaited: the connection's disconnect handler takes the courtroom's lock
        closing = self.sio.disconnect(connection, namespace=NAMESPACE)
        assert self.registry is not None
        self.registry.spawn(closing, f"hearing {hearing_id} closing {connection}")


class HearingNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, app: web.Application) -> None:
        super().__init__(NAMESPACE)
        self.app = app

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            return await self._connect(args[0], args[1], args[2] if len(args) > 2 else None)
        if event == "disconnect":
            return await self._disconnect(args[0])
        sid: str = args[0]
        try:
            message = m.parse_message(event, args[1] if len(args) > 1 else None)
            result = await self.app[ACTS].act(await self._seat(sid), message)
        except REFUSALS as exc:
            error = _error(exc.code, exc.message, event)
        except Exception:
            log.exception("%s: %s failed", await self._who(sid), event[:40])
            error = _error("internal_error", "the server failed; it was logged", event)
        else:
            return {"ok": True, **result}
        await self.emit("error", error, to=sid)
        return {"ok": False, "error": error}

    async def _seat(self, sid: str) -> Seat:
        info = await self.get_session(sid)
        return Seat(info["hearing_id"], info["participant_id"], info["actor"], sid)

    async def _who(self, sid: str) -> str:
        try:
            seat = await self._seat(sid)
        except KeyError:
            return f"socket {sid}"
        return f"hearing {seat.hearing_id} participant {seat.participant_id}"

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any) -> bool:
        try:
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
            seat = await self.app[ACTS].connect(principal, hearing_id, sid)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except REFUSALS as exc:
            raise Refused(exc.message) from None
        except Exception:
            log.exception("socket %s: connecting failed", sid)
            raise Refused("the server failed; it was logged") from None
        info = {"hearing_id": hearing_id, "participant_id": seat.participant_id,
                "actor": seat.actor}  # fmt: skip
        await self.save_session(sid, info)
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
            seat = await self._seat(sid)
        except KeyError:
            return  # refused at connect
        await self.app[ACTS].disconnect(seat)


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

    notifier = SocketNotifier(sio)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        media_factory = app.get(MEDIA_FACTORY) or aiortc_media_factory(settings.ice_servers)
        registry = CourtroomRegistry(
            database=app[DATABASE], clock=app[CLOCK], grace_s=settings.reconnect_grace_seconds,
            notifier=notifier, media_factory=media_factory,
        )  # fmt: skip
        notifier.registry = registry
        registry.start()
        app[COURTROOMS] = registry
        recordings = RecordingControl(
            registry, database=app[DATABASE], clock=app[CLOCK], data_dir=settings.data_dir,
            segment_s=settings.recording_segment_seconds,
            opener=app.get(RECORDING_FILE_OPENER) or open_exclusive,
            queue_frames=settings.recording_queue_frames,
        )  # fmt: skip
        app[TRANSITION_LISTENERS].append(recordings.on_transition)

        def ice_for(participant_id: int) -> list[dict[str, Any]]:
            return ice_servers_for(
                settings.ice_servers, turn_secret=settings.turn_secret,
                user=str(participant_id), now_s=int(registry.now_s()),
                ttl_s=settings.turn_ttl_seconds,
            )  # fmt: skip

        app[ACTS] = CourtroomActs(registry, recordings=recordings, ice_for=ice_for)

        async def announce(hearing_id: int, transition: Transition) -> None:
            """Everyone in the courtroom learns the hearing's new state (consoles, phones)."""
            room = registry.rooms.get(hearing_id)
            if room is not None:
                await registry.to_room(room, "hearing_state", {
                    "state": transition.target.value, "from": transition.source.value,
                    "action": transition.action.value,
                })  # fmt: skip

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
