"""The hearing's recording for its staff: its state, its segments, each segment's file.

Only the hearing's judge and clerk and admins: the recording of a hearing (often not public)
is not for the parties. Files are served with Range support and a WebM content type (WebM is
Matroska; Chrome's <video>/<audio> play VP8/Opus from it).
"""

from __future__ import annotations

from aiohttp import web

from hearing_server.domain.exceptions import NotFound
from hearing_server.services.hearings import access_hearing
from hearing_server.services.participants import list_participants
from hearing_server.services.recordings import (
    CONTENT_TYPES,
    get_segment,
    list_segments,
    segment_file,
    segment_to_json,
)
from hearing_server.web.keys import DATABASE, RECORDING_STATUS, SETTINGS
from hearing_server.web.middleware import current_principal
from hearing_server.web.validation import path_id

routes = web.RouteTableDef()


@routes.get("/api/hearings/{hearing_id}/recording")
async def recording_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    async with request.app[DATABASE].read() as session:
        access = await access_hearing(session, principal, hearing_id)
        access.require_staff()
        segments = await list_segments(session, hearing_id)
        people = {p.id: p for p in await list_participants(session, hearing_id)}
    source = request.app.get(RECORDING_STATUS)
    status = source.status(hearing_id) if source is not None else {"state": "stopped"}
    base = f"/api/hearings/{hearing_id}/recording/segments"
    return web.json_response(
        {
            **status,
            "segments": [
                segment_to_json(s, people.get(s.participant_id), url=f"{base}/{s.id}")
                for s in segments
            ],
        }
    )


@routes.get("/api/hearings/{hearing_id}/recording/segments/{segment_id}")
async def segment_file_route(request: web.Request) -> web.StreamResponse:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    segment_id = path_id(request, "segment_id")
    async with request.app[DATABASE].read() as session:
        access = await access_hearing(session, principal, hearing_id)
        access.require_staff()
        segment = await get_segment(session, hearing_id, segment_id)
    path = segment_file(request.app[SETTINGS].data_dir, segment)
    if not path.is_file():
        raise NotFound(f"the file of recording segment {segment_id} is missing")
    name = path.name.removesuffix(".mkv") + ".webm"
    return web.FileResponse(
        path,
        headers={
            "Content-Type": CONTENT_TYPES[segment.kind],
            "Content-Disposition": f'inline; filename="{name}"',
            "Cache-Control": "private, no-cache",
        },
    )
