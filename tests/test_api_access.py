"""Every action is checked against the caller's role and hearing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import PASSWORDS
from tests.support.api import ApiClient


@pytest.fixture
async def party(
    hearing_with_parties: dict[str, Any], new_client: Callable[[], ApiClient]
) -> ApiClient:
    client = new_client()
    token = hearing_with_parties["invitations"]["plaintiff"]["link"].rsplit("/", 1)[1]
    assert (await client.post("/api/party/exchange", {"token": token})).status == 200
    return client


async def test_party_cannot_call_staff_endpoints(
    party: ApiClient, hearing_with_parties: dict[str, Any], hearing_payload: Any
) -> None:
    hid = hearing_with_parties["hearing_id"]
    pid = hearing_with_parties["invitations"]["defendant"]["participant"]["id"]
    attempts = [
        ("GET", "/api/hearings", None),
        ("POST", "/api/hearings", hearing_payload()),
        ("GET", "/api/staff", None),
        ("POST", "/api/staff", {"username": "x", "role": "admin", "password": "p" * 12}),
        ("PATCH", f"/api/hearings/{hid}", {"title": "changed"}),
        ("DELETE", f"/api/hearings/{hid}", None),
        ("POST", f"/api/hearings/{hid}/participants", {"role": "witness", "display_name": "W"}),
        ("PATCH", f"/api/hearings/{hid}/participants/{pid}", {"identity_verified": True}),
        ("POST", f"/api/hearings/{hid}/participants/{pid}/invitation", {}),
        ("DELETE", f"/api/hearings/{hid}/participants/{pid}/invitation", None),
        ("POST", f"/api/hearings/{hid}/transitions", {"action": "open_lobby"}),
        ("GET", f"/api/hearings/{hid}/events", None),
        ("POST", f"/api/hearings/{hid}/signer-keys/{pid}/bind", {"fingerprint": "0" * 64}),
    ]
    for method, path, body in attempts:
        reply = await party.request(method, path, body)
        assert reply.status == 403, (method, path, reply.status, reply.body)
    judge: ApiClient = hearing_with_parties["judge"]
    after = await judge.get(f"/api/hearings/{hid}")
    assert after.body["hearing"]["title"] == "张三诉李四买卖合同纠纷"
    assert after.body["hearing"]["state"] == "scheduled"
    assert [p["identity_verified"] for p in after.body["participants"]][3] is False


async def test_party_cannot_reach_another_hearing(
    party: ApiClient,
    sign_in: Callable[[str], Awaitable[ApiClient]],
    hearing_payload: Callable[..., dict[str, Any]],
) -> None:
    judge2 = await sign_in("judge2")
    other = await judge2.post("/api/hearings", hearing_payload(case_number="X-2"))
    other_id = other.body["hearing"]["id"]
    for path in (f"/api/hearings/{other_id}", f"/api/hearings/{other_id}/participants"):
        reply = await party.get(path)
        assert reply.status == 403
        assert reply.body["error"]["message"] == "your session is for another hearing"


async def test_judge_sees_only_own_hearings_admin_sees_all(
    hearing_with_parties: dict[str, Any],
    sign_in: Callable[[str], Awaitable[ApiClient]],
    hearing_payload: Callable[..., dict[str, Any]],
) -> None:
    hid = hearing_with_parties["hearing_id"]
    judge2 = await sign_in("judge2")
    mine = await judge2.post("/api/hearings", hearing_payload(case_number="J2-1", clerk=None))
    listed = await judge2.get("/api/hearings")
    assert [h["id"] for h in listed.body["hearings"]] == [mine.body["hearing"]["id"]]
    assert (await judge2.get(f"/api/hearings/{hid}")).status == 403
    assert (await judge2.post(f"/api/hearings/{hid}/transitions", {"to": "open"})).status == 403
    admin = await sign_in("admin")
    every = await admin.get("/api/hearings")
    assert len(every.body["hearings"]) == 2
    clerk = await sign_in("clerk")
    assert [h["id"] for h in (await clerk.get("/api/hearings")).body["hearings"]] == [hid]


async def test_anonymous_callers_get_401(new_client: Callable[[], ApiClient]) -> None:
    anonymous = new_client()
    for path in ("/api/hearings", "/api/hearings/1", "/api/auth/me", "/api/staff"):
        reply = await anonymous.get(path)
        assert reply.status == 401, path
        assert reply.body["error"]["code"] == "not_authenticated"


async def test_logout_ends_the_session(sign_in: Callable[[str], Awaitable[ApiClient]]) -> None:
    judge = await sign_in("judge")
    assert (await judge.get("/api/hearings")).status == 200
    stolen_cookie = judge.cookie("hs_staff")
    assert (await judge.post("/api/auth/logout")).status == 204
    assert (await judge.get("/api/hearings")).status == 401
    replay = await judge.request(
        "GET", "/api/hearings", headers={"Cookie": f"hs_staff={stolen_cookie}"}
    )
    assert replay.status == 401


async def test_session_cookie_flags(new_client: Callable[[], ApiClient], staff_users: Any) -> None:
    client = new_client()
    reply = await client.post(
        "/api/auth/login", {"username": "judge", "password": "judge-password-1"}
    )
    cookie = reply.headers["Set-Cookie"]
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert flag in cookie


async def test_cross_site_post_is_refused(
    sign_in: Callable[[str], Awaitable[ApiClient]], hearing_payload: Any
) -> None:
    judge = await sign_in("judge")
    reply = await judge.request(
        "POST", "/api/hearings", hearing_payload(), headers={"Origin": "https://evil.example"}
    )
    assert reply.status == 403
    assert (await judge.get("/api/hearings")).body["hearings"] == []


async def test_admin_manages_staff(sign_in: Callable[[str], Awaitable[ApiClient]]) -> None:
    admin = await sign_in("admin")
    created = await admin.post(
        "/api/staff",
        {"username": "zhao", "display_name": "赵书记员", "role": "clerk", "password": "x" * 12},
    )
    assert created.status == 201
    assert "password" not in str(created.body)
    dup = await admin.post(
        "/api/staff", {"username": "zhao", "role": "clerk", "password": "x" * 12}
    )
    assert dup.status == 409
    short = await admin.post("/api/staff", {"username": "q", "role": "clerk", "password": "x"})
    assert short.status == 400
    assert "password" in short.body["error"]["fields"]
    judge = await sign_in("judge")
    assert (await judge.get("/api/staff")).status == 403


async def test_admin_deactivates_renames_and_resets_staff(
    sign_in: Callable[[str], Awaitable[ApiClient]], new_client: Callable[[], ApiClient]
) -> None:
    admin = await sign_in("admin")
    clerk = await sign_in("clerk")
    listed = await admin.get("/api/staff")
    ids = {user["username"]: user["id"] for user in listed.body["staff"]}
    assert (await clerk.get("/api/auth/me")).status == 200

    off = await admin.patch(f"/api/staff/{ids['clerk']}", {"active": False})
    assert off.status == 200 and off.body["staff"]["active"] is False
    assert (await clerk.get("/api/auth/me")).status == 401  # the open session ended
    again = new_client()
    login = {"username": "clerk", "password": PASSWORDS["clerk"]}
    assert (await again.post("/api/auth/login", login)).status == 401

    reset = await admin.patch(
        f"/api/staff/{ids['clerk']}",
        {"active": True, "password": "a-new-clerk-password", "display_name": "李书记员"},
    )
    assert reset.status == 200 and reset.body["staff"]["display_name"] == "李书记员"
    assert (await new_client().post("/api/auth/login", login)).status == 401
    login["password"] = "a-new-clerk-password"
    assert (await new_client().post("/api/auth/login", login)).status == 200

    # No lock-out, no bad fields, no one else.
    myself = await admin.patch(f"/api/staff/{ids['admin']}", {"active": False})
    assert myself.status == 409
    demoted = await admin.patch(f"/api/staff/{ids['admin']}", {"role": "clerk"})
    assert demoted.status == 409
    bad = await admin.patch(f"/api/staff/{ids['judge']}", {"active": "no", "password": "short"})
    assert bad.status == 400 and set(bad.body["error"]["fields"]) == {"active"}
    short = await admin.patch(f"/api/staff/{ids['judge']}", {"password": "short"})
    assert short.status == 400 and "password" in short.body["error"]["fields"]
    assert (await admin.patch("/api/staff/999999", {"active": False})).status == 404
    judge = await sign_in("judge")
    assert (await judge.patch(f"/api/staff/{ids['clerk']}", {"active": False})).status == 403
    after = {u["username"]: u for u in (await admin.get("/api/staff")).body["staff"]}
    assert after["admin"]["active"] and after["admin"]["role"] == "admin"
    assert after["judge"]["active"] and after["clerk"]["active"]
