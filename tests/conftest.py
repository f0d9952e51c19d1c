"""Shared fixtures: the real app on 127.0.0.1:0 over SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hearing_server.app import create_app
from hearing_server.domain.clock import iso_utc
from hearing_server.services.staff import create_staff
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.store.models import StaffRole
from tests.support.api import ApiClient
from tests.support.clock import FakeClock

POSTGRES_URL = os.environ.get("HEARING_TEST_DATABASE_URL", "")
PASSWORDS = {"judge": "judge-password-1", "clerk": "clerk-password-1", "admin": "admin-password-1"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'data' / 'hearing.db'}"
    if not POSTGRES_URL:
        pytest.skip("HEARING_TEST_DATABASE_URL not set")
    return POSTGRES_URL


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


async def reset_shared_database(settings: Settings) -> None:
    """SQLite gets a new file per test; a shared PostgreSQL database is emptied instead."""
    if not settings.effective_database_url.startswith("sqlite"):
        fresh = Database(settings.effective_database_url)
        await fresh.drop_schema()
        await fresh.close()


@asynccontextmanager
async def running_app(
    settings: Settings, clock: FakeClock, inject: Mapping[web.AppKey[Any], Any] | None = None
) -> AsyncIterator[TestServer]:
    """The real app on 127.0.0.1 (a free port) over a fresh database; ``inject`` sets app keys
    first (a faulty disk, a recording media engine). Closed on exit."""
    await reset_shared_database(settings)
    app = create_app(settings, clock=clock)
    for key, value in (inject or {}).items():
        app[key] = value
    test_server = TestServer(app, host="127.0.0.1", port=0)
    await test_server.start_server()
    try:
        yield test_server
    finally:
        await test_server.close()


@pytest.fixture
async def server(settings: Settings, clock: FakeClock) -> AsyncIterator[TestServer]:
    async with running_app(settings, clock) as test_server:
        yield test_server


@pytest.fixture
def app(server: TestServer) -> web.Application:
    return server.app


@pytest.fixture
async def new_client(server: TestServer) -> AsyncIterator[Callable[[], ApiClient]]:
    clients: list[ApiClient] = []

    def make() -> ApiClient:
        client = ApiClient(str(server.make_url("/")))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def staff_users(app: web.Application, clock: FakeClock) -> dict[str, str]:
    """One admin, two judges and a clerk, created straight in the database."""
    from hearing_server.web.keys import DATABASE

    accounts = {"admin": "admin", "judge": "judge", "judge2": "judge", "clerk": "clerk"}
    async with app[DATABASE].write() as session:
        for username, role in accounts.items():
            await create_staff(
                session,
                username=username,
                display_name=username.title(),
                role=StaffRole(role),
                password=PASSWORDS[role],
                now=clock.now(),
            )
    return accounts


@pytest.fixture
async def sign_in(
    new_client: Callable[[], ApiClient], staff_users: dict[str, str]
) -> Callable[[str], Awaitable[ApiClient]]:
    async def login(username: str) -> ApiClient:
        client = new_client()
        reply = await client.post(
            "/api/auth/login",
            {"username": username, "password": PASSWORDS[staff_users[username]]},
        )
        assert reply.status == 200, reply.body
        return client

    return login


@pytest.fixture
def hearing_payload(clock: FakeClock) -> Callable[..., dict[str, Any]]:
    def build(**overrides: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "case_number": "(2026)京0105民初123号",
            "title": "张三诉李四买卖合同纠纷",
            "cause_of_action": "买卖合同纠纷",
            "courtroom": "第三法庭",
            "scheduled_start": iso_utc(clock.now() + timedelta(minutes=10)),
            "expected_duration_minutes": 90,
            "clerk": "clerk",
        }
        payload.update(overrides)
        return payload

    return build


@pytest.fixture
async def hearing_with_parties(
    sign_in: Callable[[str], Awaitable[ApiClient]],
    hearing_payload: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """A hearing by judge 'judge' with a plaintiff and a defendant, each invited."""
    judge = await sign_in("judge")
    created = await judge.post("/api/hearings", hearing_payload())
    assert created.status == 201, created.body
    hearing_id = created.body["hearing"]["id"]
    invitations: dict[str, dict[str, Any]] = {}
    for role, name in (("plaintiff", "张三"), ("defendant", "Li Si")):
        added = await judge.post(
            f"/api/hearings/{hearing_id}/participants", {"role": role, "display_name": name}
        )
        assert added.status == 201, added.body
        pid = added.body["participant"]["id"]
        issued = await judge.post(f"/api/hearings/{hearing_id}/participants/{pid}/invitation")
        assert issued.status == 201, issued.body
        invitations[role] = issued.body
    return {"judge": judge, "hearing_id": hearing_id, "invitations": invitations}
