"""Staff accounts, managed by admins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from aiohttp import web
from sqlmodel import col, select

from hearing_server.domain.exceptions import Forbidden
from hearing_server.domain.validation import Boolean, Choice, Schema, read
from hearing_server.services.session_ends import EndedSessions, announce
from hearing_server.services.staff import create_staff, staff_to_json, update_staff
from hearing_server.store.models import StaffRole, StaffUser
from hearing_server.web.keys import CLOCK, DATABASE, SESSIONS_ENDED, SETTINGS
from hearing_server.web.middleware import current_staff
from hearing_server.web.validation import (
    DisplayName,
    Password,
    Username,
    path_id,
    read_json_object,
)

routes = web.RouteTableDef()


@dataclass(frozen=True, kw_only=True)
class NewStaff(Schema):
    username: Username
    display_name: DisplayName = ""
    role: Annotated[StaffRole, Choice(enum=StaffRole)]
    password: Password


@dataclass(frozen=True, kw_only=True)
class StaffChanges(Schema):
    """A partial update: only the fields the body gives are read."""

    display_name: DisplayName = ""
    role: Annotated[StaffRole | None, Choice(enum=StaffRole)] = None
    active: Annotated[bool, Boolean()] = False
    password: Password


@routes.get("/api/staff")
async def list_staff_route(request: web.Request) -> web.Response:
    staff = current_staff(request)
    if staff.role is not StaffRole.ADMIN:
        raise Forbidden("only admins manage staff accounts")
    async with request.app[DATABASE].read() as session:
        users = (await session.exec(select(StaffUser).order_by(col(StaffUser.username)))).all()
    return web.json_response({"staff": [staff_to_json(u) for u in users]})


@routes.post("/api/staff")
async def create_staff_route(request: web.Request) -> web.Response:
    staff = current_staff(request)
    if staff.role is not StaffRole.ADMIN:
        raise Forbidden("only admins manage staff accounts")
    settings = request.app[SETTINGS]
    new = NewStaff.parse(await read_json_object(request, max_bytes=settings.max_request_bytes))
    async with request.app[DATABASE].write() as session:
        user = await create_staff(
            session,
            username=new.username,
            display_name=new.display_name,
            role=new.role,
            password=new.password,
            now=request.app[CLOCK].now(),
        )
    return web.json_response({"staff": staff_to_json(user)}, status=201)


@routes.patch(r"/api/staff/{user_id}")
async def update_staff_route(request: web.Request) -> web.Response:
    staff = current_staff(request)
    if staff.role is not StaffRole.ADMIN:
        raise Forbidden("only admins manage staff accounts")
    user_id = path_id(request, "user_id")
    settings = request.app[SETTINGS]
    body = await read_json_object(request, max_bytes=settings.max_request_bytes)
    changes = read(StaffChanges, body, only=body)
    ended = EndedSessions()
    async with request.app[DATABASE].write() as session:
        user = await update_staff(
            session,
            user_id,
            by=staff,
            display_name=changes.get("display_name") or None,
            role=changes.get("role"),
            active=changes.get("active"),
            password=changes.get("password"),
            ended=ended,
        )
    await announce(request.app[SESSIONS_ENDED], ended)
    return web.json_response({"staff": staff_to_json(user)})
