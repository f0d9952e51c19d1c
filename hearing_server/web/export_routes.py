"""Exports of a hearing's recording for its staff (judge, clerk, admins): start, list, read,
download; progress also goes to the staff in the courtroom as ``export_progress``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from aiohttp import web

from hearing_server.domain.exceptions import NotFound, ValidationFailed
from hearing_server.domain.validation import Schema, Text
from hearing_server.services.hearings import HearingAccess, access_hearing
from hearing_server.web.keys import DATABASE, EXPORT_JOBS, SETTINGS
from hearing_server.web.middleware import current_principal
from hearing_server.web.validation import path_id, read_json_object

CONTENT_TYPES = {".mp4": "video/mp4", ".zip": "application/zip"}
_EXPORT_ID = re.compile(r"^[0-9a-f]{16}$")
routes = web.RouteTableDef()


@dataclass(frozen=True, kw_only=True)
class ExportRequest(Schema):
    kind: Annotated[str, Text(max_length=32)]
    language: Annotated[str, Text(max_length=8)] = "zh-CN"


async def _staff_access(request: web.Request) -> HearingAccess:
    hearing_id = path_id(request, "hearing_id")
    async with request.app[DATABASE].read() as session:
        access = await access_hearing(session, current_principal(request), hearing_id)
    access.require_manager()
    return access


def _export_id(request: web.Request) -> str:
    value = request.match_info["export_id"]
    if not _EXPORT_ID.match(value):
        raise NotFound("no such export")
    return value


@routes.post("/api/hearings/{hearing_id}/exports")
async def start_export(request: web.Request) -> web.Response:
    access = await _staff_access(request)
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_request_bytes)
    kinds = request.app[EXPORT_JOBS].kind_names()
    asked = ExportRequest.parse(body)
    kind, language = asked.kind, asked.language
    if kind not in kinds:
        raise ValidationFailed("unknown export kind", fields={"kind": f"one of {', '.join(kinds)}"})
    if language not in ("zh-CN", "en"):
        raise ValidationFailed("unknown language", fields={"language": "zh-CN or en"})
    assert access.hearing.id is not None
    job = await request.app[EXPORT_JOBS].start(
        access.hearing.id, kind, actor=access.principal.actor, language=language
    )
    return web.json_response(job.to_json(), status=202)


@routes.get("/api/hearings/{hearing_id}/exports")
async def list_exports(request: web.Request) -> web.Response:
    access = await _staff_access(request)
    assert access.hearing.id is not None
    jobs = await request.app[EXPORT_JOBS].list(access.hearing.id)
    return web.json_response(
        {"exports": [job.to_json() for job in jobs], "kinds": request.app[EXPORT_JOBS].kind_names()}
    )


@routes.get("/api/hearings/{hearing_id}/exports/{export_id}")
async def get_export(request: web.Request) -> web.Response:
    access = await _staff_access(request)
    assert access.hearing.id is not None
    job = await request.app[EXPORT_JOBS].get(access.hearing.id, _export_id(request))
    return web.json_response(job.to_json())


@routes.get("/api/hearings/{hearing_id}/exports/{export_id}/file")
async def export_file(request: web.Request) -> web.StreamResponse:
    access = await _staff_access(request)
    assert access.hearing.id is not None
    job = await request.app[EXPORT_JOBS].get(access.hearing.id, _export_id(request))
    if job.state != "done" or job.path is None or not job.path.is_file():
        raise NotFound("the export's file is not ready")
    response = web.FileResponse(job.path)
    response.content_type = CONTENT_TYPES.get(job.path.suffix, "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{job.path.name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
