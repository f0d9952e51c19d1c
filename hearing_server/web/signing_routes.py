"""Signing over REST: signer keys, manifests, signatures, refusals, progress.

Thin adapters over ``hearing_server.services.signing.SigningDesk``; see docs/api.md and
docs/bundle.md.
Progress also reaches the courtroom live as the Socket.IO event ``signing``. The sealed
bundle is the export kind "bundle" (``POST /api/hearings/{id}/exports``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from aiohttp import web

from hearing_server.domain.exceptions import PayloadTooLarge, ValidationFailed
from hearing_server.domain.validation import Opaque, Schema, Text
from hearing_server.services.hearings import access_hearing
from hearing_server.services.signer_keys import (
    MAX_SPKI_BYTES,
    decode_base64,
    key_to_json,
    register_key,
)
from hearing_server.services.signing import SigningDesk
from hearing_server.services.signing_checks import MAX_IMAGE_BYTES
from hearing_server.web.keys import CLOCK, DATABASE, SETTINGS, SIGNING_DESK
from hearing_server.web.middleware import current_principal
from hearing_server.web.validation import decode_json_object, path_id, read_json_object

routes = web.RouteTableDef()
# A manifest lists every recording segment (~250 bytes each), so a long hearing's signature
# request is larger than ordinary requests; it is read with this bound instead.
MAX_SIGNATURE_REQUEST_BYTES = 4 * 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def desk(request: web.Request) -> SigningDesk:
    return request.app[SIGNING_DESK]


Hex64 = Annotated[str, Opaque(max_length=64, pattern=_HEX64, mismatch="64 lowercase hex digits")]


@dataclass(frozen=True, kw_only=True)
class SignerKey(Schema):
    public_key: Annotated[str, Opaque(max_length=1024)]


@dataclass(frozen=True, kw_only=True)
class KeyToBind(Schema):
    fingerprint: Hex64


@dataclass(frozen=True, kw_only=True)
class ManifestRequest(Schema):
    key_fingerprint: Hex64
    signature_image_sha256: Hex64


@dataclass(frozen=True, kw_only=True)
class Signature(Schema):
    manifest: Annotated[str, Opaque(max_length=MAX_SIGNATURE_REQUEST_BYTES)]
    signature: Annotated[str, Opaque(max_length=200)]
    signature_image: Annotated[str, Opaque(max_length=MAX_IMAGE_BYTES * 2)]


@dataclass(frozen=True, kw_only=True)
class Refusal(Schema):
    reason: Annotated[str, Text(max_length=2000)]


async def _small_body(request: web.Request) -> dict[str, Any]:
    return await read_json_object(request, max_bytes=request.app[SETTINGS].max_request_bytes)


async def _large_body(request: web.Request, max_bytes: int) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise ValidationFailed("send the request body as application/json")
    if request.content_length is not None and request.content_length > max_bytes:
        raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
    # The whole body, however it arrives (a phone on a slow link sends it in many pieces;
    # one read() returns only what has arrived so far).
    pieces: list[bytes] = []
    size = 0
    while piece := await request.content.read(64 * 1024):
        size += len(piece)
        if size > max_bytes:
            raise PayloadTooLarge(f"request body larger than {max_bytes} bytes")
        pieces.append(piece)
    return decode_json_object(b"".join(pieces))


@routes.post("/api/hearings/{hearing_id}/signer-key")
async def register_key_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    encoded = SignerKey.parse(await _small_body(request)).public_key
    der = decode_base64(encoded, "public_key", max_bytes=MAX_SPKI_BYTES)
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id)
        key, new = await register_key(
            session, access, der, actor=principal.actor, now=request.app[CLOCK].now()
        )
        waiting = (
            new
            and key.bound_at is None
            and access.participant is not None
            and access.participant.identity_verified
        )
    if waiting:  # the judge's and clerk's signing panels show the key to accept (once)
        await desk(request).announce(hearing_id)
    return web.json_response({"key": key_to_json(key)}, status=201)


@routes.post("/api/hearings/{hearing_id}/signer-keys/{participant_id}/bind")
async def bind_waiting_key_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    participant_id = path_id(request, "participant_id")
    fingerprint = KeyToBind.parse(await _small_body(request)).fingerprint
    key = await desk(request).bind_waiting_key(principal, hearing_id, participant_id, fingerprint)
    return web.json_response({"key": key}, status=201)


@routes.get("/api/hearings/{hearing_id}/signing")
async def signing_status_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    return web.json_response(await desk(request).status(principal, hearing_id))


@routes.post("/api/hearings/{hearing_id}/signing/manifest")
async def manifest_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    asked = ManifestRequest.parse(await _small_body(request))
    manifest = await desk(request).issue_manifest(
        principal,
        hearing_id,
        fingerprint=asked.key_fingerprint,
        image_sha256=asked.signature_image_sha256,
    )
    return web.json_response(
        {
            "manifest": manifest.to_bytes().decode("utf-8"),
            "manifest_sha256": manifest.sha256,
            "transcript_sha256": manifest.transcript_sha256,
            "signed_at": manifest.signed_at,
        }
    )


@routes.post("/api/hearings/{hearing_id}/signing/signatures")
async def signature_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    signed = Signature.parse(await _large_body(request, MAX_SIGNATURE_REQUEST_BYTES))
    status = await desk(request).accept_signature(
        principal,
        hearing_id,
        manifest_bytes=signed.manifest.encode("utf-8"),
        signature=decode_base64(signed.signature, "signature", max_bytes=128),
        image_png=decode_base64(
            signed.signature_image, "signature_image", max_bytes=MAX_IMAGE_BYTES
        ),
    )
    return web.json_response(status, status=201)


@routes.post("/api/hearings/{hearing_id}/signing/refusals")
async def refusal_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    reason = Refusal.parse(await _small_body(request)).reason
    status = await desk(request).refuse(principal, hearing_id, reason)
    return web.json_response(status, status=201)
