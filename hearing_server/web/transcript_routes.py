"""Exports of a hearing's live transcript, for the staff of that hearing.

``GET /api/hearings/{id}/transcript`` (canonical form, SHA-256, version, state),
``.../transcript.json`` (exactly the canonical bytes that get signed), ``.../transcript.vtt``,
``.../transcript.txt`` and ``.../transcript.pdf`` (``?lang=zh|en``, default zh). Each is built
from the hearing's event log (``hearing_server.services.transcript_store.load_transcript``),
so it is the record as it stands, whether or not the courtroom is open.
"""

from __future__ import annotations

import asyncio
import hashlib

from aiohttp import web

from hearing_server.domain.exceptions import HearingServerError, ValidationFailed
from hearing_server.services.hearings import access_hearing
from hearing_server.services.participants import list_participants
from hearing_server.services.transcript_store import load_transcript
from hearing_server.store.models import Hearing, Participant
from hearing_server.web.keys import DATABASE, SETTINGS
from hearing_server.web.middleware import current_principal
from hearing_server.web.validation import path_id
from transcript.exceptions import RenderError
from transcript.header import HearingHeader, hearing_header
from transcript.model import Transcript
from transcript.pdf import render_pdf
from transcript.plaintext import render_text
from transcript.presentation import Locale
from transcript.webvtt import render_webvtt

routes = web.RouteTableDef()


class ExportUnavailable(HearingServerError):
    """The server cannot render this format (e.g. the CJK font for the PDF is missing)."""

    status = 503
    code = "export_unavailable"


def transcript_header(
    hearing: Hearing, participants: list[Participant], *, court_name: str
) -> HearingHeader:
    """The rendering's header: the same code heads the sealed bundle's PDF."""
    return hearing_header(hearing, participants, court_name=court_name)


def _locale(request: web.Request) -> Locale:
    raw = request.query.get("lang", "zh").lower()
    if raw in {"zh", "zh-cn"}:
        return Locale.ZH
    if raw == "en":
        return Locale.EN
    raise ValidationFailed("bad language", fields={"lang": "zh or en"})


async def _load(request: web.Request) -> tuple[Transcript, HearingHeader]:
    """The transcript and header, for staff of this hearing only (parties get 403)."""
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    database = request.app[DATABASE]
    async with database.read() as session:
        access = await access_hearing(session, principal, hearing_id)
        access.require_staff()
        participants = await list_participants(session, hearing_id)
    header = transcript_header(
        access.hearing, participants, court_name=request.app[SETTINGS].court_name
    )
    return await load_transcript(database, hearing_id), header


def _attachment(request: web.Request, suffix: str) -> dict[str, str]:
    name = f"hearing-{request.match_info['hearing_id']}-transcript.{suffix}"
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@routes.get("/api/hearings/{hearing_id}/transcript")
async def transcript_route(request: web.Request) -> web.Response:
    transcript, _header = await _load(request)
    canonical = transcript.canonical_bytes()
    return web.json_response(
        {
            "version": transcript.version,
            "state": transcript.state.value,
            "sha256": hashlib.sha256(canonical).hexdigest(),
            "transcript": transcript.to_canonical(),
        },
        headers={"Cache-Control": "no-store"},
    )


@routes.get("/api/hearings/{hearing_id}/transcript.json")
async def canonical_route(request: web.Request) -> web.Response:
    transcript, _header = await _load(request)
    canonical = transcript.canonical_bytes()
    headers = _attachment(request, "json")
    headers["X-Transcript-SHA256"] = hashlib.sha256(canonical).hexdigest()
    return web.Response(body=canonical, content_type="application/json", headers=headers)


@routes.get("/api/hearings/{hearing_id}/transcript.vtt")
async def webvtt_route(request: web.Request) -> web.Response:
    transcript, _header = await _load(request)
    return web.Response(
        text=render_webvtt(transcript), content_type="text/vtt", charset="utf-8",
        headers=_attachment(request, "vtt"),
    )  # fmt: skip


@routes.get("/api/hearings/{hearing_id}/transcript.txt")
async def text_route(request: web.Request) -> web.Response:
    locale = _locale(request)
    transcript, header = await _load(request)
    return web.Response(
        text=render_text(transcript, header, locale=locale), content_type="text/plain",
        charset="utf-8", headers=_attachment(request, "txt"),
    )  # fmt: skip


@routes.get("/api/hearings/{hearing_id}/transcript.pdf")
async def pdf_route(request: web.Request) -> web.Response:
    locale = _locale(request)
    transcript, header = await _load(request)
    # Seconds of CPU for a long hearing: off the event loop, on a copy nobody else changes.
    try:
        pdf = await asyncio.to_thread(render_pdf, transcript, header, locale=locale)
    except RenderError as error:
        raise ExportUnavailable(error.message) from None
    return web.Response(
        body=pdf, content_type="application/pdf", headers=_attachment(request, "pdf")
    )
