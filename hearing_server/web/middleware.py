"""Middlewares: errors as JSON (never a stack trace), security headers, CSRF, caller identity."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from yarl import URL

from hearing_server.domain.exceptions import (
    CredentialRejected,
    Forbidden,
    HearingServerError,
    NotAuthenticated,
    RateLimited,
)
from hearing_server.services.party_sessions import resolve_party_session
from hearing_server.services.principals import PartyPrincipal, Principal, StaffPrincipal
from hearing_server.services.staff import resolve_staff_session
from hearing_server.settings import is_loopback, local_url
from hearing_server.web.bounded_log import exception_summary
from hearing_server.web.keys import (
    CLOCK,
    DATABASE,
    PARTY_COOKIE,
    SETTINGS,
    SOCKET_JUNK_LOG,
    STAFF_COOKIE,
)

log = logging.getLogger(__name__)

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PRINCIPAL_KEY = web.RequestKey("principal", object)


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    *,
    reason: str | None = None,
) -> web.Response:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    if reason:
        body["error"]["reason"] = reason
    return web.json_response(body, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except RateLimited as exc:
        response = error_response(exc.status, exc.code, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except CredentialRejected as exc:
        return error_response(exc.status, exc.code, exc.message, reason=exc.reason)
    except HearingServerError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.fields)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # Every path, not only /api/: a JSON error that the security headers middleware
        # (outside this one) sees, instead of aiohttp's bare text page.
        code = exc.reason.lower().replace(" ", "_")
        response = error_response(exc.status, code, exc.reason)
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
        return response
    except Exception:
        if request.path.startswith("/socket.io/"):
            # engine.io failing on what an unauthenticated client sent (a packet that does
            # not parse): the client's junk, said in one budgeted line.
            request.app[SOCKET_JUNK_LOG].note(
                "socket.io: %s %s failed (%s)", request.method, request.path, exception_summary()
            )
            return error_response(400, "bad_request", "the socket.io request was not understood")
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "the server failed; the error was logged")


@web.middleware
async def security_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(self), microphone=(self), geolocation=()")
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
    if request.secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def allowed_origins(request: web.Request) -> set[str]:
    """Only configured origins: the public URL's (or, unconfigured on loopback, the bound
    address's and its ``localhost`` alias) and ``HEARING_ALLOWED_ORIGINS``; never the Host."""
    settings = request.app[SETTINGS]
    public = URL(public_base_url(request))
    origins = {str(public.origin()), *settings.allowed_origins}
    if not settings.public_url and public.host is not None and is_loopback(public.host):
        origins.add(str(public.with_host("localhost").origin()))
    return origins


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Cookies are SameSite=Strict; on top, unsafe requests must come from our own origin."""
    if request.method in UNSAFE_METHODS:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in allowed_origins(request):
            raise Forbidden("cross-site request refused")
    return await handler(request)


@web.middleware
async def principal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[PRINCIPAL_KEY] = await resolve_principal(request)
    return await handler(request)


async def resolve_principal(request: web.Request) -> Principal | None:
    now = request.app[CLOCK].now()
    staff_token = request.cookies.get(STAFF_COOKIE)
    party_token = request.cookies.get(PARTY_COOKIE)
    authorization = request.headers.get("Authorization", "")
    if authorization.startswith("Bearer "):
        party_token = authorization.removeprefix("Bearer ").strip()
    if not staff_token and not party_token:
        return None
    async with request.app[DATABASE].read() as session:
        if staff_token and len(staff_token) <= 128:
            staff = await resolve_staff_session(session, staff_token, now=now)
            if staff is not None:
                return staff
        if party_token and len(party_token) <= 128:
            return await resolve_party_session(session, party_token, now=now)
    return None


def current_principal(request: web.Request) -> Principal:
    principal = request.get(PRINCIPAL_KEY)
    if not isinstance(principal, StaffPrincipal | PartyPrincipal):
        raise NotAuthenticated("sign in first")
    return principal


def current_staff(request: web.Request) -> StaffPrincipal:
    principal = current_principal(request)
    if not isinstance(principal, StaffPrincipal):
        raise Forbidden("only court staff may do this")
    return principal


def current_party(request: web.Request) -> PartyPrincipal:
    principal = current_principal(request)
    if not isinstance(principal, PartyPrincipal):
        raise Forbidden("this is for invited participants")
    return principal


def public_base_url(request: web.Request) -> str:
    """Invitation links use the configured public URL, else the address and port this
    connection reached on the server's own socket (``serve`` allows that only on loopback):
    never the Host header."""
    settings = request.app[SETTINGS]
    if settings.public_url:
        return settings.public_url.rstrip("/")
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not isinstance(sockname, tuple) or len(sockname) < 2:
        return settings.effective_public_url
    return local_url(str(sockname[0]), int(sockname[1]), tls=settings.tls_enabled)


def set_session_cookie(
    response: web.StreamResponse, name: str, token: str, *, max_age_s: int
) -> None:
    response.set_cookie(
        name,
        token,
        max_age=max_age_s,
        path="/",
        secure=True,
        httponly=True,
        samesite="Strict",
    )
