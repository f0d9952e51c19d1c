"""Participants and their invitations (issue, re-issue, status, revoke)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from aiohttp import web
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.exceptions import Conflict, NotFound
from hearing_server.domain.validation import Boolean, Choice, Schema, Text, read
from hearing_server.services.hearings import access_hearing, require_editable
from hearing_server.services.invitations import (
    invitation_ics,
    invitation_text,
    qr_png_data_url,
    qr_svg,
)
from hearing_server.services.participants import (
    IssuedInvitation,
    active_invitation,
    add_participant,
    get_participant,
    invitation_details,
    invitation_to_json,
    issue_invitation,
    list_participants,
    participant_to_json,
    revoke_invitation,
)
from hearing_server.services.session_ends import EndedSessions, announce
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import Invitation, Participant, ParticipantRole
from hearing_server.web.keys import CLOCK, DATABASE, SESSIONS_ENDED, SETTINGS
from hearing_server.web.middleware import current_principal, public_base_url
from hearing_server.web.validation import DisplayName, path_id, read_json_object

routes = web.RouteTableDef()
BASE = "/api/hearings/{hearing_id}/participants"


@dataclass(frozen=True, kw_only=True)
class ParticipantDetails(Schema):
    display_name: DisplayName
    phone: Annotated[str, Text(max_length=32)] = ""
    email: Annotated[str, Text(max_length=254)] = ""


@dataclass(frozen=True, kw_only=True)
class NewParticipant(ParticipantDetails):
    CHECK_ORDER = ("role",)
    role: Annotated[ParticipantRole, Choice(enum=ParticipantRole)]


@dataclass(frozen=True, kw_only=True)
class ParticipantChanges(ParticipantDetails):
    """A partial update: only the fields the body gives are read."""

    identity_verified: Annotated[bool, Boolean()] = False


@routes.get(BASE)
async def list_participants_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    async with request.app[DATABASE].read() as session:
        access = await access_hearing(session, principal, hearing_id)
        participants = await list_participants(session, hearing_id)
    return web.json_response(
        {"participants": [participant_to_json(p, private=access.is_staff) for p in participants]}
    )


@routes.post(BASE)
async def add_participant_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    settings = request.app[SETTINGS]
    body = await read_json_object(request, max_bytes=settings.max_request_bytes)
    new = NewParticipant.parse(body)
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        participant = await add_participant(
            session,
            access,
            role=new.role,
            display_name=new.display_name,
            phone=new.phone,
            email=new.email,
            now=now,
        )
    return web.json_response({"participant": participant_to_json(participant)}, status=201)


@routes.patch(BASE + "/{participant_id}")
async def update_participant_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    participant_id = path_id(request, "participant_id")
    settings = request.app[SETTINGS]
    body = await read_json_object(request, max_bytes=settings.max_request_bytes)
    changes = read(ParticipantChanges, body, only=body)
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        access.require_manager()
        participant = await get_participant(session, hearing_id, participant_id)
        for key, value in changes.items():
            setattr(participant, key, value)
        session.add(participant)
        await append_event(
            session,
            access.hearing,
            actor=principal.actor,
            kind="participant.updated",
            payload={"participant_id": participant_id, **changes},
            at=now,
        )
    return web.json_response({"participant": participant_to_json(participant)})


@routes.delete(BASE + "/{participant_id}")
async def remove_participant_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    participant_id = path_id(request, "participant_id")
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        access.require_manager()
        require_editable(access.hearing)
        participant = await get_participant(session, hearing_id, participant_id)
        if participant.staff_user_id is not None:
            raise Conflict("the judge and clerk stay on the hearing")
        if await _has_invitations(session, participant):
            # Credentials were handed out and the log refers to them: the row stays.
            raise Conflict("this participant was already invited; revoke the invitation instead")
        await append_event(
            session,
            access.hearing,
            actor=principal.actor,
            kind="participant.removed",
            payload={"participant_id": participant_id},
            at=now,
        )
        await session.delete(participant)
    return web.Response(status=204)


async def _has_invitations(session: AsyncSession, participant: Participant) -> bool:
    result = await session.exec(
        select(Invitation.id).where(Invitation.participant_id == participant.id)
    )
    return result.first() is not None


@routes.post(BASE + "/{participant_id}/invitation")
async def issue_invitation_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    participant_id = path_id(request, "participant_id")
    settings = request.app[SETTINGS]
    now = request.app[CLOCK].now()
    ended = EndedSessions()
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        participant = await get_participant(session, hearing_id, participant_id)
        issued = await issue_invitation(
            session, access, participant, now=now,
            early_minutes=settings.invitation_early_minutes, ended=ended,
        )  # fmt: skip
    await announce(request.app[SESSIONS_ENDED], ended)
    body = invitation_package(
        issued,
        access.hearing,
        participant,
        court_name=settings.court_name,
        public_url=public_base_url(request),
        now=now,
    )
    return web.json_response(body, status=201)


def invitation_package(
    issued: IssuedInvitation,
    hearing: Any,
    participant: Participant,
    *,
    court_name: str,
    public_url: str,
    now: Any,
) -> dict[str, Any]:
    """Everything the court sends the participant; the secrets are shown this once."""
    details = invitation_details(
        hearing, participant, issued, court_name=court_name, public_url=public_url
    )
    return {
        "invitation": invitation_to_json(issued.invitation, now),
        "participant": participant_to_json(participant),
        "link": details.link,
        "account": issued.account,
        "access_code": issued.code,
        "qr_svg": qr_svg(details.link),
        "qr_png": qr_png_data_url(details.link),
        "text": {"zh-CN": invitation_text(details, "zh-CN"), "en": invitation_text(details, "en")},
        "ics": invitation_ics(
            details,
            uid=f"hearing-{hearing.id}-invitation-{issued.invitation.id}@hearing-server",
            stamp=now,
        ),
    }


@routes.get(BASE + "/{participant_id}/invitation")
async def invitation_status_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    participant_id = path_id(request, "participant_id")
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].read() as session:
        access = await access_hearing(session, principal, hearing_id)
        access.require_manager()
        await get_participant(session, hearing_id, participant_id)
        invitation = await active_invitation(session, participant_id)
    if invitation is None:
        raise NotFound("this participant has no active invitation")
    return web.json_response({"invitation": invitation_to_json(invitation, now)})


@routes.delete(BASE + "/{participant_id}/invitation")
async def revoke_invitation_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    participant_id = path_id(request, "participant_id")
    now = request.app[CLOCK].now()
    ended = EndedSessions()
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        participant = await get_participant(session, hearing_id, participant_id)
        invitation = await revoke_invitation(session, access, participant, now=now, ended=ended)
    await announce(request.app[SESSIONS_ENDED], ended)
    return web.json_response({"invitation": invitation_to_json(invitation, now)})
