"""Typed keys for what the aiohttp application owns."""

from __future__ import annotations

from aiohttp import web

from hearing_server.clock import Clock
from hearing_server.db import Database
from hearing_server.ratelimit import FailureLimiter
from hearing_server.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
LOGIN_LIMITER = web.AppKey("login_limiter", FailureLimiter)

STAFF_COOKIE = "hs_staff"
PARTY_COOKIE = "hs_party"
