"""Staff accounts, managed by admins."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import col, select

from hearing_server.domain.exceptions import Forbidden
from hearing_server.services.staff import create_staff, staff_to_json, update_staff
from hearing_server.store.models import StaffRole, StaffUser
from hearing_server.web.keys import CLOCK, DATABASE, SETTINGS
from hearing_server.web.middleware import current_staff
from hearing_server.web.validation import Fields, path_id, read_json_object

routes = web.RouteTableDef()


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
    fields = Fields(await read_json_object(request, max_bytes=settings.max_request_bytes))
    username = fields.text("username", max_length=64)
    display_name = fields.text("display_name", required=False, max_length=128)
    role = fields.choice("role", StaffRole)
    password = fields.secret("password")
    fields.check()
    assert role is not None
    async with request.app[DATABASE].write() as session:
        user = await create_staff(
            session,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
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
    fields = Fields(await read_json_object(request, max_bytes=settings.max_request_bytes))
    display_name = fields.text("display_name", required=False, max_length=128)
    role = fields.choice("role", StaffRole, required=False)
    active = fields.boolean("active") if "active" in fields.data else None
    password = fields.secret("password") if "password" in fields.data else None
    fields.check()
    async with request.app[DATABASE].write() as session:
        user = await update_staff(
            session,
            user_id,
            by=staff,
            display_name=display_name or None,
            role=role,
            active=active,
            password=password,
        )
    return web.json_response({"staff": staff_to_json(user)})
