"""Links and allowed origins come only from configuration, never from the Host header."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestServer

from hearing_server.services.staff import create_staff
from hearing_server.settings import Settings
from hearing_server.store.models import StaffRole
from hearing_server.web.keys import DATABASE
from tests.conftest import running_app
from tests.support.api import ApiClient
from tests.support.clock import FakeClock

EVIL = {"Host": "evil.example", "Origin": "http://evil.example"}


async def _invite(judge: ApiClient, hearing_id: int, headers: dict[str, str]) -> dict[str, Any]:
    added = await judge.post(
        f"/api/hearings/{hearing_id}/participants", {"role": "witness", "display_name": "W"}
    )
    assert added.status == 201, added.body
    pid = added.body["participant"]["id"]
    issued = await judge.request(
        "POST", f"/api/hearings/{hearing_id}/participants/{pid}/invitation", {},
        headers={"Host": headers["Host"]},
    )  # fmt: skip
    assert issued.status == 201, issued.body
    return dict(issued.body)


async def test_unconfigured_loopback_links_use_the_bound_address(
    server: TestServer,
    sign_in: Callable[[str], Awaitable[ApiClient]],
    hearing_payload: Callable[..., dict[str, Any]],
) -> None:
    judge = await sign_in("judge")
    created = await judge.post("/api/hearings", hearing_payload())
    hearing_id = created.body["hearing"]["id"]
    issued = await _invite(judge, hearing_id, EVIL)
    own = str(server.make_url("/")).rstrip("/")
    assert issued["link"].startswith(own + "/j/"), issued["link"]
    assert "evil.example" not in str(issued)
    refused = await judge.request("POST", "/api/hearings", hearing_payload(), headers=EVIL)
    assert refused.status == 403
    assert refused.error_code == "forbidden"


async def test_configured_public_url_decides_links_and_origins(
    settings: Settings, clock: FakeClock, hearing_payload: Callable[..., dict[str, Any]]
) -> None:
    configured = settings.replace(public_url="https://hearing.example.court/")
    async with running_app(configured, clock) as server:
        async with server.app[DATABASE].write() as session:
            await create_staff(
                session, username="judge", display_name="J", role=StaffRole.JUDGE,
                password="judge-password-1", now=clock.now(),
            )  # fmt: skip
            await create_staff(
                session, username="clerk", display_name="C", role=StaffRole.CLERK,
                password="clerk-password-1", now=clock.now(),
            )  # fmt: skip
        judge = ApiClient(str(server.make_url("/")))
        try:
            own_origin = {"Origin": "https://hearing.example.court"}
            login = await judge.request(
                "POST", "/api/auth/login",
                {"username": "judge", "password": "judge-password-1"}, headers=own_origin,
            )  # fmt: skip
            assert login.status == 200, login.body
            # The address the test reached is not configured: its origin is refused now.
            local = await judge.request("POST", "/api/hearings", hearing_payload())
            assert local.status == 403
            refused = await judge.request("POST", "/api/hearings", hearing_payload(), headers=EVIL)
            assert refused.status == 403
            created = await judge.request(
                "POST", "/api/hearings", hearing_payload(), headers=own_origin
            )
            assert created.status == 201, created.body
            hearing_id = created.body["hearing"]["id"]
            added = await judge.request(
                "POST", f"/api/hearings/{hearing_id}/participants",
                {"role": "witness", "display_name": "W"}, headers=own_origin,
            )  # fmt: skip
            pid = added.body["participant"]["id"]
            issued = await judge.request(
                "POST", f"/api/hearings/{hearing_id}/participants/{pid}/invitation", {},
                headers={**own_origin, "Host": "evil.example"},
            )  # fmt: skip
            assert issued.status == 201, issued.body
            assert issued.body["link"].startswith("https://hearing.example.court/j/")
        finally:
            await judge.close()
