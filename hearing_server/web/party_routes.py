"""Credential exchange: an invitation link, or account + access code, becomes a party session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aiohttp import web

from hearing_server.domain.clock import iso_utc
from hearing_server.domain.exceptions import CredentialRejected, ValidationFailed
from hearing_server.domain.validation import Opaque, Schema, Text
from hearing_server.services.party_sessions import (
    exchange_invitation,
    find_invitation_by_code,
    find_invitation_by_token,
)
from hearing_server.web.keys import CLOCK, DATABASE, PARTY_COOKIE, SETTINGS
from hearing_server.web.middleware import set_session_cookie
from hearing_server.web.ratelimits import record_failure, record_success, refuse_if_limited
from hearing_server.web.validation import HearingId, read_json_object

routes = web.RouteTableDef()


@dataclass(frozen=True, kw_only=True)
class LinkExchange(Schema):
    token: Annotated[str, Opaque(max_length=128)]
    hearing_id: HearingId = None  # the hearing the page was opened for, if it knows


@dataclass(frozen=True, kw_only=True)
class CodeExchange(Schema):
    account: Annotated[str, Text(max_length=16)]
    code: Annotated[str, Opaque(max_length=32)]
    hearing_id: HearingId = None


@routes.post("/api/party/exchange")
async def exchange_route(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    body = await read_json_object(request, max_bytes=settings.max_request_bytes)
    uses_link = "token" in body
    if uses_link:
        link = LinkExchange.parse(body)
        token, account, code, hearing_id = link.token, "", "", link.hearing_id
    else:
        by_code = CodeExchange.parse(body)
        token, account, code, hearing_id = "", by_code.account, by_code.code, by_code.hearing_id
    if not uses_link and not account:
        raise ValidationFailed("send either token, or account and code")
    limited_account = account or None  # a link's token names no account: per source only
    refuse_if_limited(request, "exchange", limited_account)
    now = request.app[CLOCK].now()
    try:
        async with request.app[DATABASE].write() as session:
            invitation = (
                await find_invitation_by_token(session, token)
                if uses_link
                else await find_invitation_by_code(session, account, code)
            )
            exchanged = await exchange_invitation(
                session, invitation, now=now, expected_hearing_id=hearing_id
            )
    except CredentialRejected:
        record_failure(request, "exchange", limited_account)
        raise
    record_success(request, "exchange", limited_account)
    principal = exchanged.principal
    response = web.json_response(
        {
            "session_token": exchanged.token,
            "expires_at": iso_utc(exchanged.expires_at),
            "hearing_id": principal.hearing_id,
            "participant_id": principal.participant_id,
            "role": principal.role,
            "display_name": principal.display_name,
        }
    )
    max_age = max(60, int((exchanged.expires_at - now).total_seconds()))
    set_session_cookie(response, PARTY_COOKIE, exchanged.token, max_age_s=max_age)
    return response
