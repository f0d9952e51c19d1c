"""Staff sign-in and sign-out, and who-am-I for any caller."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from hearing_server.domain.exceptions import CredentialRejected
from hearing_server.domain.validation import Schema
from hearing_server.services.principals import StaffPrincipal
from hearing_server.services.session_ends import EndedSessions, announce
from hearing_server.services.staff import authenticate, open_staff_session, revoke_staff_session
from hearing_server.web.keys import (
    CLOCK,
    DATABASE,
    PARTY_COOKIE,
    SESSIONS_ENDED,
    SETTINGS,
    STAFF_COOKIE,
)
from hearing_server.web.middleware import (
    PRINCIPAL_KEY,
    current_principal,
    set_session_cookie,
)
from hearing_server.web.ratelimits import record_failure, record_success, refuse_if_limited
from hearing_server.web.validation import Password, Username, read_json_object

routes = web.RouteTableDef()


@dataclass(frozen=True, kw_only=True)
class Login(Schema):
    username: Username
    password: Password


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    login = Login.parse(await read_json_object(request, max_bytes=settings.max_request_bytes))
    username, password = login.username, login.password
    account = username.lower()
    refuse_if_limited(request, "login", account)
    database = request.app[DATABASE]
    now = request.app[CLOCK].now()
    try:
        async with database.write() as session:
            user = await authenticate(session, username, password)
            token = await open_staff_session(
                session, user, now=now, hours=settings.staff_session_hours
            )
    except CredentialRejected:
        record_failure(request, "login", account)
        raise
    record_success(request, "login", account)
    response = web.json_response(
        {
            "user": {
                "id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
            }
        }
    )
    set_session_cookie(response, STAFF_COOKIE, token, max_age_s=settings.staff_session_hours * 3600)
    return response


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    principal = request.get(PRINCIPAL_KEY)
    if isinstance(principal, StaffPrincipal):
        ended = EndedSessions()
        async with request.app[DATABASE].write() as session:
            await revoke_staff_session(session, principal.session_id, ended=ended)
        await announce(request.app[SESSIONS_ENDED], ended)
    response = web.Response(status=204)
    response.del_cookie(STAFF_COOKIE, path="/")
    return response


@routes.get("/api/auth/session")
async def session_route(request: web.Request) -> web.StreamResponse:
    """Like ``/api/auth/me`` but 200 for anonymous callers: pages ask it without an error."""
    if request.get(PRINCIPAL_KEY) is None:
        return web.json_response({"kind": None})
    return await whoami(request)


@routes.get("/api/auth/me")
async def whoami(request: web.Request) -> web.Response:
    principal = current_principal(request)
    if isinstance(principal, StaffPrincipal):
        return web.json_response(
            {
                "kind": "staff",
                "user_id": principal.user_id,
                "username": principal.username,
                "display_name": principal.display_name,
                "role": principal.role.value,
            }
        )
    return web.json_response(
        {
            "kind": "party",
            "hearing_id": principal.hearing_id,
            "participant_id": principal.participant_id,
            "role": principal.role,
            "display_name": principal.display_name,
        }
    )


__all__ = ["PARTY_COOKIE", "routes"]
