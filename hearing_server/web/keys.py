"""Typed keys for what the aiohttp application owns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from hearing_server.domain.clock import Clock
from hearing_server.domain.hearing_state import Transition
from hearing_server.domain.ratelimit import FailureLimiter
from hearing_server.services.courtroom import CourtroomRegistry
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.web.bounded_log import BoundedLog

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
LOGIN_LIMITER = web.AppKey("login_limiter", FailureLimiter)
# Budgeted warnings about unauthenticated junk on /socket.io/ (never a traceback).
SOCKET_JUNK_LOG = web.AppKey("socket_junk_log", BoundedLog)
# The live courtrooms; set by the signaling layer's cleanup context (``attach_signaling``).
COURTROOMS = web.AppKey("courtrooms", CourtroomRegistry)
# Coroutines called after every committed hearing transition (the courtroom's recording).
TransitionListener = Callable[[int, Transition], Awaitable[None]]
TRANSITION_LISTENERS = web.AppKey("transition_listeners", list[TransitionListener])


class RecordingStatusSource(Protocol):
    """The live recording's state of a hearing (``{state, active, reason}``)."""

    def status(self, hearing_id: int) -> dict[str, Any]: ...


# Set by the signaling layer, which owns the live recordings.
RECORDING_STATUS = web.AppKey("recording_status", RecordingStatusSource)

STAFF_COOKIE = "hs_staff"
PARTY_COOKIE = "hs_party"
