"""Hearings: list, create, read, edit, delete, state transitions, event log."""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Annotated

from aiohttp import web
from sqlmodel import col, delete

from hearing_server.domain.chain import verify_chain
from hearing_server.domain.clock import iso_utc
from hearing_server.domain.exceptions import Conflict, Forbidden, ValidationFailed
from hearing_server.domain.hearing_state import HearingAction, HearingState, transition_to
from hearing_server.domain.validation import Boolean, Choice, Integer, Moment, Schema, Text, read
from hearing_server.services.hearings import (
    access_hearing,
    hearing_to_json,
    list_hearings,
    require_editable,
    schedule_hearing,
    transition_hearing,
)
from hearing_server.services.participants import list_participants, participant_to_json
from hearing_server.store.eventlog import (
    append_event,
    event_to_json,
    first_event_at,
    load_events,
)
from hearing_server.store.models import (
    HearingEvent,
    Invitation,
    Participant,
    PartySession,
    StaffRole,
)
from hearing_server.web.keys import CLOCK, DATABASE, SETTINGS, TRANSITION_LISTENERS
from hearing_server.web.middleware import current_principal, current_staff
from hearing_server.web.validation import Username, path_id, read_json_object

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
MAX_DURATION_MINUTES = 24 * 60


@routes.get("/api/hearings")
async def list_hearings_route(request: web.Request) -> web.Response:
    staff = current_staff(request)
    day_start: datetime | None = None
    raw_date = request.query.get("date")
    if raw_date:
        try:
            day_start = datetime.fromisoformat(raw_date).replace(tzinfo=UTC)
        except ValueError:
            raise ValidationFailed("bad date", fields={"date": "use YYYY-MM-DD"}) from None
    state: HearingState | None = None
    raw_state = request.query.get("state")
    if raw_state:
        try:
            state = HearingState(raw_state)
        except ValueError:
            allowed = ", ".join(s.value for s in HearingState)
            raise ValidationFailed("bad state", fields={"state": f"one of {allowed}"}) from None
    async with request.app[DATABASE].read() as session:
        hearings = await list_hearings(session, staff, day_start=day_start, state=state)
    return web.json_response({"hearings": [hearing_to_json(h) for h in hearings]})


CaseNumber = Annotated[str, Text(max_length=64)]
Title = Annotated[str, Text(max_length=256)]
Start = Annotated[datetime | None, Moment()]


@dataclass(frozen=True, kw_only=True)
class HearingDetails(Schema):
    """A hearing's own fields; its number, title and start are required to schedule it."""

    case_number: CaseNumber
    title: Title
    cause_of_action: Annotated[str, Text(max_length=256)] = ""
    courtroom: Annotated[str, Text(max_length=128)] = ""
    scheduled_start: Start
    expected_duration_minutes: Annotated[int, Integer(minimum=5, maximum=MAX_DURATION_MINUTES)] = 60
    is_public: Annotated[bool, Boolean()] = False


HEARING_FIELDS = tuple(field.name for field in fields(HearingDetails))


@dataclass(frozen=True, kw_only=True)
class HearingChanges(HearingDetails):
    """A partial update: each field may be absent or null."""

    case_number: CaseNumber = ""
    title: Title = ""
    scheduled_start: Start = None


@dataclass(frozen=True, kw_only=True)
class NewHearingByAdmin(HearingDetails):
    judge: Username
    clerk: Username = ""


@dataclass(frozen=True, kw_only=True)
class NewHearing(NewHearingByAdmin):
    """Scheduled by a judge: the judge is they unless they name another."""

    judge: Username = ""


@dataclass(frozen=True, kw_only=True)
class TransitionBy(Schema):
    """A transition named by its ``action``, or by the state to reach (``to``)."""

    action: Annotated[HearingAction | None, Choice(enum=HearingAction)]
    to: Annotated[HearingState | None, Choice(enum=HearingState)] = None


@dataclass(frozen=True, kw_only=True)
class TransitionTo(TransitionBy):
    action: Annotated[HearingAction | None, Choice(enum=HearingAction)] = None


@routes.post("/api/hearings")
async def create_hearing_route(request: web.Request) -> web.Response:
    staff = current_staff(request)
    if staff.role not in {StaffRole.ADMIN, StaffRole.JUDGE}:
        raise Forbidden("only judges and admins schedule hearings")
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_request_bytes)
    by_judge = staff.role is StaffRole.JUDGE
    new = (NewHearing if by_judge else NewHearingByAdmin).parse(body)
    values: dict[str, object] = {name: getattr(new, name) for name in HEARING_FIELDS}
    judge = new.judge or staff.username
    clerk = new.clerk
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].write() as session:
        hearing, _judge_seat = await schedule_hearing(
            session, values=values, creator=staff, judge=judge, clerk=clerk or None, now=now
        )
        participants = await list_participants(session, hearing.id or 0)
    return web.json_response(
        {
            "hearing": hearing_to_json(hearing),
            "participants": [participant_to_json(p) for p in participants],
        },
        status=201,
    )


@routes.get("/api/hearings/{hearing_id}")
async def get_hearing_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    async with request.app[DATABASE].read() as session:
        access = await access_hearing(session, principal, hearing_id)
        participants = await list_participants(session, hearing_id)
        started_at = await first_event_at(session, hearing_id, "hearing.start")
    return web.json_response(
        {
            "hearing": hearing_to_json(access.hearing, full=access.is_staff)
            | {"started_at": started_at},
            "participants": [participant_to_json(p, private=access.is_staff) for p in participants],
            "you": participant_to_json(access.participant) if access.participant else None,
            # The server's clock: pages measure elapsed times against it, not the device's.
            "now": iso_utc(request.app[CLOCK].now()),
        }
    )


@routes.patch("/api/hearings/{hearing_id}")
async def update_hearing_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_request_bytes)
    values = read(HearingChanges, body, only=body)
    changes = {key: values[key] for key in body if key in values}
    if not changes:
        raise ValidationFailed("nothing to change")
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        access.require_manager()
        require_editable(access.hearing)
        for key, value in changes.items():
            setattr(access.hearing, key, value)
        session.add(access.hearing)
        await append_event(
            session,
            access.hearing,
            actor=principal.actor,
            kind="hearing.updated",
            payload={key: str(value) for key, value in changes.items()},
            at=now,
        )
    return web.json_response({"hearing": hearing_to_json(access.hearing)})


@routes.delete("/api/hearings/{hearing_id}")
async def delete_hearing_route(request: web.Request) -> web.Response:
    """Only a hearing that never opened can be deleted; after that the record must stay."""
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        access.require_manager()
        if access.hearing.state != HearingState.SCHEDULED.value:
            raise Conflict("only a hearing that has not opened yet can be deleted")
        await session.exec(delete(PartySession).where(col(PartySession.hearing_id) == hearing_id))
        await session.exec(delete(Invitation).where(col(Invitation.hearing_id) == hearing_id))
        await session.exec(delete(HearingEvent).where(col(HearingEvent.hearing_id) == hearing_id))
        await session.exec(delete(Participant).where(col(Participant.hearing_id) == hearing_id))
        await session.delete(access.hearing)
    return web.Response(status=204)


@routes.post("/api/hearings/{hearing_id}/transitions")
async def transition_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    body = await read_json_object(request, max_bytes=request.app[SETTINGS].max_request_bytes)
    asked = (TransitionTo if "to" in body else TransitionBy).parse(body)
    action, target = asked.action, asked.to
    now = request.app[CLOCK].now()
    async with request.app[DATABASE].write() as session:
        access = await access_hearing(session, principal, hearing_id, lock=True)
        if action is None:
            assert target is not None
            action = transition_to(HearingState(access.hearing.state), target).action
        transition = await transition_hearing(session, access, action, now=now)
    for listener in request.app[TRANSITION_LISTENERS]:
        try:
            await listener(hearing_id, transition)
        except Exception:  # the transition is committed; a listener's failure is logged
            log.exception("hearing %s: transition listener failed", hearing_id)
    return web.json_response(
        {
            "hearing": hearing_to_json(access.hearing),
            "transition": {
                "action": transition.action.value,
                "from": transition.source.value,
                "to": transition.target.value,
            },
        }
    )


@routes.get("/api/hearings/{hearing_id}/events")
async def events_route(request: web.Request) -> web.Response:
    principal = current_principal(request)
    hearing_id = path_id(request, "hearing_id")
    async with request.app[DATABASE].read() as session:
        access = await access_hearing(session, principal, hearing_id)
        access.require_staff()
        events = await load_events(session, hearing_id)
    problems = verify_chain(
        events,
        hearing_id=hearing_id,
        expected_count=access.hearing.event_count,
        expected_head=access.hearing.event_head_hash,
    )
    return web.json_response(
        {
            "events": [event_to_json(e) for e in events],
            "head_hash": access.hearing.event_head_hash,
            "intact": not problems,
            "problems": [str(p) for p in problems],
        }
    )
