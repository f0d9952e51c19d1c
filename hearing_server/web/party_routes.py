"""Credential exchange: an invitation link, or account + access code, becomes a party session."""

from __future__ import annotations

from aiohttp import web

from hearing_server.domain.clock import iso_utc
from hearing_server.domain.exceptions import CredentialRejected, ValidationFailed
from hearing_server.services.party_sessions import (
    exchange_invitation,
    find_invitation_by_code,
    find_invitation_by_token,
)
from hearing_server.web.keys import CLOCK, DATABASE, PARTY_COOKIE, SETTINGS
from hearing_server.web.middleware import client_ip, set_session_cookie
from hearing_server.web.ratelimits import forget, record_failure, refuse_if_limited
from hearing_server.web.validation import Fields, read_json_object

routes = web.RouteTableDef()


@routes.post("/api/party/exchange")
async def exchange_route(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    fields = Fields(await read_json_object(request, max_bytes=settings.max_request_bytes))
    uses_link = "token" in fields.data
    token = fields.secret("token", max_length=128) if uses_link else ""
    account = "" if uses_link else fields.text("account", max_length=16)
    code = "" if uses_link else fields.secret("code", max_length=32)
    hearing_id = (
        fields.integer("hearing_id", minimum=1, maximum=2**53)
        if fields.data.get("hearing_id") is not None
        else None
    )
    fields.check()
    if not uses_link and not account:
        raise ValidationFailed("send either token, or account and code")
    keys: list[tuple[str, str]] = [("exchange-ip", client_ip(request))]
    if account:
        keys.append(("exchange-account", account))
    refuse_if_limited(request, keys)
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
        record_failure(request, keys)
        raise
    if account:
        forget(request, ("exchange-account", account))
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
