"""The device check's connection test: a signed-in caller times a download and an upload.

Only for callers with a session (a party after exchanging credentials, or staff), bounded in
size, never cached: the page measures round trips and throughput and gives its verdict.
"""

from __future__ import annotations

import os

from aiohttp import web

from hearing_server.domain.exceptions import PayloadTooLarge, ValidationFailed
from hearing_server.web.middleware import current_principal

routes = web.RouteTableDef()
MAX_PROBE_BYTES = 1 << 20
NO_STORE = {"Cache-Control": "no-store"}
# Random bytes, made once: compression along the way must not flatter the figure.
_PAYLOAD = os.urandom(MAX_PROBE_BYTES)


@routes.get("/api/probe")
async def download_probe(request: web.Request) -> web.Response:
    current_principal(request)
    raw = request.query.get("bytes", "0")
    if not raw.isdigit() or int(raw) > MAX_PROBE_BYTES:
        raise ValidationFailed(f"bytes must be a whole number from 0 to {MAX_PROBE_BYTES}")
    size = int(raw)
    return web.Response(
        body=_PAYLOAD[:size], content_type="application/octet-stream", headers=NO_STORE
    )


@routes.post("/api/probe")
async def upload_probe(request: web.Request) -> web.Response:
    current_principal(request)
    received = 0
    async for chunk in request.content.iter_any():
        received += len(chunk)
        if received > MAX_PROBE_BYTES:
            raise PayloadTooLarge(f"send at most {MAX_PROBE_BYTES} bytes")
    return web.json_response({"bytes": received}, headers=NO_STORE)
