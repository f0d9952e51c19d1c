"""The aiohttp application: routes, middlewares and the lifetimes of what it owns."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from hearing_server.domain.clock import Clock, SystemClock
from hearing_server.domain.hearing_state import Transition
from hearing_server.domain.ratelimit import SignInThrottle, ThrottlePolicy
from hearing_server.services.bundle import build_bundle_export
from hearing_server.services.courtroom import CourtroomRegistry
from hearing_server.services.courtroom_acts import CourtroomActs
from hearing_server.services.export_jobs import ExportBuilder, ExportJobs, build_tracks, build_video
from hearing_server.services.ports import Notifier
from hearing_server.services.recording_control import RecordingControl
from hearing_server.services.signing import SigningDesk
from hearing_server.services.staff_notices import notify_staff
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.web import (
    auth_routes,
    export_routes,
    hearing_routes,
    page_routes,
    participant_routes,
    party_routes,
    probe_routes,
    recording_routes,
    signing_routes,
    staff_routes,
    transcript_routes,
)
from hearing_server.web.bounded_log import BoundedLog
from hearing_server.web.keys import (
    ACTS,
    CLOCK,
    COURTROOMS,
    DATABASE,
    EXPORT_JOBS,
    LOGIN_THROTTLE,
    MEDIA_FACTORY,
    RECORDING_FILE_OPENER,
    RECORDING_STATUS,
    RECORDINGS,
    SESSIONS_ENDED,
    SETTINGS,
    SIGNING_DESK,
    SOCKET_JUNK_LOG,
    TRANSITION_LISTENERS,
)
from hearing_server.web.middleware import (
    csrf_middleware,
    error_middleware,
    principal_middleware,
    security_headers_middleware,
)
from recording.segment_writer import open_exclusive
from signaling.media import passthrough
from signaling.media.factory import aiortc_media_factory
from signaling.namespace import SocketNotifier, attach_signaling
from signaling.protocol.ice import ice_servers_for

log = logging.getLogger(__name__)
WEB_CLIENT_DIR = Path(__file__).resolve().parent.parent / "web_client" / "static"


async def _database_context(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.effective_database_url)
    await database.create_schema(now=app[CLOCK].now())
    app[DATABASE] = database
    log.info("database ready: %s", database.engine.url.render_as_string(hide_password=True))
    try:
        yield
    finally:
        await database.close()


def _services_context(notifier: SocketNotifier, kinds: Mapping[str, ExportBuilder]) -> Any:
    """The one cleanup context that builds the services, once, and closes them in reverse.

    Added after the database's: courtrooms, recordings and exports log to it and must close
    before it does. Media: ``app[MEDIA_FACTORY]`` if set at startup, else the aiortc engine."""

    async def services(app: web.Application) -> AsyncIterator[None]:
        settings, database, clock = app[SETTINGS], app[DATABASE], app[CLOCK]
        media_factory = app.get(MEDIA_FACTORY)
        if media_factory is None:
            # Process-wide, once (idempotent): aiortc forwards packets, never decodes them.
            passthrough.install()
            media_factory = aiortc_media_factory(settings.ice_servers)
        registry = CourtroomRegistry(
            database=database, clock=clock, grace_s=settings.reconnect_grace_seconds,
            notifier=notifier, media_factory=media_factory,
        )  # fmt: skip
        notifier.registry = registry
        registry.start()
        recordings = RecordingControl(
            registry, database=database, clock=clock, data_dir=settings.data_dir,
            segment_s=settings.recording_segment_seconds,
            opener=app.get(RECORDING_FILE_OPENER) or open_exclusive,
            queue_frames=settings.recording_queue_frames,
        )  # fmt: skip

        def ice_for(participant_id: int) -> list[dict[str, Any]]:
            return ice_servers_for(
                settings.ice_servers, turn_secret=settings.turn_secret,
                user=str(participant_id), now_s=int(registry.now_s()),
                ttl_s=settings.turn_ttl_seconds,
            )  # fmt: skip

        async def export_progress(hearing_id: int, payload: dict[str, Any]) -> None:
            await notify_staff(registry, hearing_id, "export_progress", payload)

        app[COURTROOMS] = registry
        app[RECORDINGS] = app[RECORDING_STATUS] = recordings
        app[ACTS] = CourtroomActs(registry, recordings=recordings, ice_for=ice_for)
        app[SIGNING_DESK] = SigningDesk(
            database=database, clock=clock, data_dir=settings.data_dir, courtrooms=registry
        )
        jobs = app[EXPORT_JOBS] = ExportJobs(
            database=database, settings=settings, clock=clock, notify=export_progress, kinds=kinds
        )
        app[TRANSITION_LISTENERS].append(recordings.on_transition)
        app[TRANSITION_LISTENERS].append(_announcer(registry, notifier))
        app[SESSIONS_ENDED].append(registry.end_sessions)
        await recordings.recover_all()
        await recordings.restart_in_session()
        try:
            yield
        finally:
            await jobs.close()
            await recordings.close()
            await registry.close()

    return services


def _announcer(registry: CourtroomRegistry, notifier: Notifier) -> Any:
    async def announce(hearing_id: int, transition: Transition) -> None:
        """Everyone in the courtroom learns the hearing's new state (consoles, phones)."""
        if hearing_id in registry.rooms:
            await notifier.to_hearing(hearing_id, "hearing_state", {
                "state": transition.target.value, "from": transition.source.value,
                "action": transition.action.value,
            })  # fmt: skip

    return announce


def export_kinds() -> dict[str, ExportBuilder]:
    """Every export kind the server offers (``POST /api/hearings/{id}/exports``), by name: a
    new kind is one more line here."""
    return {"video": build_video, "tracks": build_tracks, "bundle": build_bundle_export}


async def health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app(settings: Settings, *, clock: Clock | None = None) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_request_bytes,
        middlewares=[
            security_headers_middleware,
            error_middleware,
            csrf_middleware,
            principal_middleware,
        ],
    )
    app[SETTINGS] = settings
    app[CLOCK] = clock or SystemClock()
    app[TRANSITION_LISTENERS] = []
    app[SESSIONS_ENDED] = []
    app[LOGIN_THROTTLE] = SignInThrottle(
        ThrottlePolicy(
            pair_failures=settings.login_failures_per_window,
            source_failures=settings.login_source_failures_per_window,
            account_failures=settings.login_account_failures_per_window,
            window_s=settings.login_window_seconds,
            max_lock_s=settings.login_max_lockout_seconds,
        )
    )
    clock_now = app[CLOCK].now
    app[SOCKET_JUNK_LOG] = BoundedLog(
        logging.getLogger("signaling.junk"), now_s=lambda: clock_now().timestamp()
    )
    app.cleanup_ctx.append(_database_context)
    app.router.add_get("/healthz", health)
    # One per line: every feature adds its own module here.
    for module in (
        auth_routes,
        staff_routes,
        hearing_routes,
        participant_routes,
        party_routes,
        probe_routes,
        transcript_routes,
        recording_routes,
        signing_routes,
        page_routes,
    ):
        app.router.add_routes(module.routes)
    notifier = attach_signaling(app)
    app.router.add_routes(export_routes.routes)
    app.cleanup_ctx.append(_services_context(notifier, export_kinds()))
    if WEB_CLIENT_DIR.is_dir():
        app.router.add_static("/static/", WEB_CLIENT_DIR, follow_symlinks=False)
    return app
