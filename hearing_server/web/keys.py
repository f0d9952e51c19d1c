"""Typed keys for what the aiohttp application owns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from hearing_server.domain.clock import Clock
from hearing_server.domain.hearing_state import Transition
from hearing_server.domain.ratelimit import SignInThrottle
from hearing_server.services.courtroom import CourtroomRegistry
from hearing_server.services.courtroom_acts import CourtroomActs
from hearing_server.services.export_jobs import ExportJobs
from hearing_server.services.ports import MediaFactory
from hearing_server.services.recording_control import RecordingControl, SegmentFileOpener
from hearing_server.services.session_ends import SessionsEndedListener
from hearing_server.services.signing import SigningDesk
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.web.bounded_log import BoundedLog

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
LOGIN_THROTTLE = web.AppKey("login_throttle", SignInThrottle)
# Budgeted warnings about unauthenticated junk on /socket.io/ (never a traceback).
SOCKET_JUNK_LOG = web.AppKey("socket_junk_log", BoundedLog)
# The services, built once by the composition root's cleanup context (``hearing_server.app``).
COURTROOMS = web.AppKey("courtrooms", CourtroomRegistry)
ACTS = web.AppKey("courtroom_acts", CourtroomActs)
RECORDINGS = web.AppKey("recordings", RecordingControl)
SIGNING_DESK = web.AppKey("signing_desk", SigningDesk)
EXPORT_JOBS = web.AppKey("export_jobs", ExportJobs)
# Optional: set before the app starts to run courtrooms on another media engine.
MEDIA_FACTORY = web.AppKey("media_factory", MediaFactory)
# Optional: set before the app starts to open recording files another way (disk-fault tests).
RECORDING_FILE_OPENER = web.AppKey("recording_file_opener", SegmentFileOpener)
# Coroutines called after every committed hearing transition (the courtroom's recording).
TransitionListener = Callable[[int, Transition], Awaitable[None]]
TRANSITION_LISTENERS = web.AppKey("transition_listeners", list[TransitionListener])
# Told after every commit that ended sign-ins (logout, deactivation, revocation; the courtrooms).
SESSIONS_ENDED = web.AppKey("sessions_ended", list[SessionsEndedListener])


class RecordingStatusSource(Protocol):
    """The live recording's state of a hearing (``{state, active, reason}``)."""

    def status(self, hearing_id: int) -> dict[str, Any]: ...


# The live recordings' state (``RecordingControl``), as the REST routes read it.
RECORDING_STATUS = web.AppKey("recording_status", RecordingStatusSource)

STAFF_COOKIE = "hs_staff"
PARTY_COOKIE = "hs_party"
