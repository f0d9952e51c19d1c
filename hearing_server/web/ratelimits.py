"""Failure rate limits for sign-in and credential exchange, per IP and per account."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from aiohttp import web

from hearing_server.domain.exceptions import RateLimited
from hearing_server.web.keys import CLOCK, LOGIN_LIMITER


def _now(request: web.Request) -> float:
    return request.app[CLOCK].now().timestamp()


def refuse_if_limited(request: web.Request, keys: Sequence[Hashable]) -> None:
    limiter = request.app[LOGIN_LIMITER]
    now = _now(request)
    waits = [wait for key in keys if (wait := limiter.retry_after(key, now)) is not None]
    if waits:
        wait = max(waits)
        raise RateLimited(
            f"too many failed attempts; try again in {wait} seconds", retry_after_s=wait
        )


def record_failure(request: web.Request, keys: Sequence[Hashable]) -> None:
    limiter = request.app[LOGIN_LIMITER]
    now = _now(request)
    for key in keys:
        limiter.record_failure(key, now)


def forget(request: web.Request, key: Hashable) -> None:
    request.app[LOGIN_LIMITER].reset(key)
