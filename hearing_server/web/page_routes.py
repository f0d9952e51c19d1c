"""The pages of the web client, served from the package (no CDN, no build step)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

WEB_CLIENT_DIR = Path(__file__).resolve().parents[2] / "web_client"
STATIC_DIR = WEB_CLIENT_DIR / "static"
I18N_DIR = WEB_CLIENT_DIR / "i18n"
routes = web.RouteTableDef()


def _page(name: str) -> web.FileResponse:
    response = web.FileResponse(STATIC_DIR / name)
    response.headers["Cache-Control"] = "no-cache"
    return response


@routes.get("/")
async def home(_request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/join")


@routes.get("/join")
async def join_page(_request: web.Request) -> web.StreamResponse:
    return _page("join.html")


@routes.get(r"/j/{token:[A-Za-z0-9_-]{20,128}}")
async def invitation_link(_request: web.Request) -> web.StreamResponse:
    return _page("join.html")


@routes.get("/staff/login")
async def staff_login(_request: web.Request) -> web.StreamResponse:
    return _page("login.html")


@routes.get("/staff")
async def staff_home(_request: web.Request) -> web.StreamResponse:
    return _page("staff.html")


@routes.get(r"/staff/hearings/{hearing_id:\d{1,12}}/court")
async def courtroom_console(_request: web.Request) -> web.StreamResponse:
    return _page("court.html")


@routes.get(r"/i18n/{language:(zh-CN|en)}.json")
async def strings(request: web.Request) -> web.StreamResponse:
    response = web.FileResponse(I18N_DIR / f"{request.match_info['language']}.json")
    response.headers["Cache-Control"] = "no-cache"
    response.content_type = "application/json"
    return response
