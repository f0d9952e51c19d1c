"""The aiohttp application: routes, middlewares and the lifetimes of what it owns."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from hearing_server.domain.clock import Clock, SystemClock
from hearing_server.domain.ratelimit import FailureLimiter
from hearing_server.services.bundle import build_bundle_export
from hearing_server.services.export_jobs import ExportBuilder, build_tracks, build_video
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.web import (
    auth_routes,
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
from hearing_server.web.export_routes import attach_exports
from hearing_server.web.keys import (
    CLOCK,
    DATABASE,
    LOGIN_LIMITER,
    SETTINGS,
    SOCKET_JUNK_LOG,
    TRANSITION_LISTENERS,
)
from hearing_server.web.middleware import (
    csrf_middleware,
    error_middleware,
    principal_middleware,
    security_headers_middleware,
)
from signaling.namespace import attach_signaling

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
    app[LOGIN_LIMITER] = FailureLimiter(
        max_failures=settings.login_failures_per_window, window_s=settings.login_window_seconds
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
    attach_signaling(app)  # after the database context: courtrooms log to it
    attach_exports(app, export_kinds())  # after signaling: export progress goes to the courtrooms
    if WEB_CLIENT_DIR.is_dir():
        app.router.add_static("/static/", WEB_CLIENT_DIR, follow_symlinks=False)
    return app
