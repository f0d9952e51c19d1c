"""The Socket.IO adapter: sessions and origins checked at connect, messages to courtroom acts.

Thin on purpose: it resolves who is connecting, parses wire messages
(``messages.parse_message``), calls ``hearing_server.services.courtroom_acts`` and replies.
It implements the services' ``Notifier`` port over Socket.IO. Errors go to the sender only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import socketio
from aiohttp import web

from hearing_server.domain.exceptions import HearingServerError
from hearing_server.services.courtroom import CourtroomRegistry
from hearing_server.services.courtroom_acts import Seat
from hearing_server.services.party_sessions import resolve_party_session
from hearing_server.services.principals import Principal
from hearing_server.services.session_ends import SessionRef
from hearing_server.web.keys import ACTS, CLOCK, DATABASE, SOCKET_JUNK_LOG
from hearing_server.web.middleware import allowed_origins, resolve_principal
from signaling import wire_json
from signaling.protocol import messages as m
from signaling.protocol.exceptions import SignalingError
from signaling.protocol.media_errors import MediaError
from transcript.exceptions import TranscriptError

log = logging.getLogger(__name__)
NAMESPACE = "/hearing"
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
        self._replying: dict[str, int] = {}  # connection -> its acts in flight
        self._closing: dict[str, int] = {}  # connection -> hearing, to close after its replies

    async def to_hearing(self, hearing_id: int, event: str, data: Any) -> None:
        await self.sio.emit(event, data, to=_channel(hearing_id), namespace=NAMESPACE)

    async def to_connection(self, connection: str, event: str, data: Any) -> None:
        await self.sio.emit(event, data, to=connection, namespace=NAMESPACE)

    async def seat(self, hearing_id: int, connection: str) -> None:
        await self.sio.enter_room(connection, _channel(hearing_id), namespace=NAMESPACE)

    async def drop(self, hearing_id: int, connection: str) -> None:
        await self.sio.leave_room(connection, _channel(hearing_id), namespace=NAMESPACE)
        if self._replying.get(connection):
            self._closing[connection] = hearing_id  # its own act was refused: reply first
        else:
            self._close(hearing_id, connection)

    @contextmanager
    def replying_to(self, connection: str) -> Iterator[None]:
        """Around one act of the connection, up to its reply: a connection dropped meanwhile
        is closed only then (the close runs after the acknowledgement is queued)."""
        self._replying[connection] = self._replying.get(connection, 0) + 1
        try:
            yield
        finally:
            left = self._replying.pop(connection) - 1
            if left:
                self._replying[connection] = left
            elif connection in self._closing:
                self._close(self._closing.pop(connection), connection)

    def _close(self, hearing_id: int, connection: str) -> None:
        # not awaited: the connection's disconnect handler takes the courtroom's lock
        closing = self.sio.disconnect(connection, namespace=NAMESPACE)
        assert self.registry is not None
        self.registry.spawn(closing, f"hearing {hearing_id} closing {connection}")


class HearingNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, app: web.Application, notifier: SocketNotifier) -> None:
        super().__init__(NAMESPACE)
        self.app = app
        self.notifier = notifier

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            return await self._connect(args[0], args[1], args[2] if len(args) > 2 else None)
        if event == "disconnect":
            return await self._disconnect(args[0])
        sid: str = args[0]
        with self.notifier.replying_to(sid):
            return await self._act(sid, event, args[1] if len(args) > 1 else None)

    async def _act(self, sid: str, event: str, data: Any) -> dict[str, Any]:
        try:
            message = m.parse_message(event, data)
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
        session = SessionRef(info["session_kind"], info["session_id"], info["user_id"])
        return Seat(info["hearing_id"], info["participant_id"], info["actor"], sid, session)

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
                "actor": seat.actor, "session_kind": seat.session.kind,
                "session_id": seat.session.id, "user_id": seat.session.user_id}  # fmt: skip
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


def attach_signaling(app: web.Application) -> SocketNotifier:
    """Mount Socket.IO on the app; returns the ``Notifier`` the services tell people through
    (its ``registry`` is set once the composition root has built the courtrooms)."""

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
    notifier = SocketNotifier(sio)
    sio.register_namespace(HearingNamespace(app, notifier))
    sio.attach(app, socketio_path="socket.io")

    async def stop_background_tasks(_app: web.Application) -> None:
        # engineio's ping service task must be stopped this way before the server goes: on
        # Python 3.11 cancelling it can leave it waiting forever, and the loop never closes.
        await sio.shutdown()

    app.on_shutdown.append(stop_background_tasks)
    return notifier
