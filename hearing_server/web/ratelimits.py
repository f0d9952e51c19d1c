"""Failure rate limits for sign-in and credential exchange (``SignInThrottle``): per account and
source together, with back-off; see docs/api.md, "Rate limits"."""

from __future__ import annotations

from collections.abc import Hashable

from aiohttp import web

from hearing_server.domain.exceptions import RateLimited
from hearing_server.domain.ratelimit import source_of
from hearing_server.web.keys import CLOCK, LOGIN_THROTTLE


def _now(request: web.Request) -> float:
    return request.app[CLOCK].now().timestamp()


def _source(request: web.Request, kind: str) -> Hashable:
    return (kind, source_of(request.remote or "unknown"))


def refuse_if_limited(request: web.Request, kind: str, account: Hashable | None) -> None:
    """429 when ``account`` (None: a secret naming no account) may not be tried from here."""
    throttle = request.app[LOGIN_THROTTLE]
    wait = throttle.retry_after(account, _source(request, kind), _now(request))
    if wait is not None:
        raise RateLimited(
            f"too many failed attempts; try again in {wait} seconds", retry_after_s=wait
        )


def record_failure(request: web.Request, kind: str, account: Hashable | None) -> None:
    request.app[LOGIN_THROTTLE].record_failure(account, _source(request, kind), _now(request))


def record_success(request: web.Request, kind: str, account: Hashable | None) -> None:
    request.app[LOGIN_THROTTLE].record_success(account, _source(request, kind))
