"""Bad input gets a clear 4xx with field messages, never a stack trace, and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.support.api import ApiClient


@pytest.fixture
async def judge(sign_in: Callable[[str], Awaitable[ApiClient]]) -> ApiClient:
    return await sign_in("judge")


BAD_HEARINGS = [
    ({}, {"case_number", "title", "scheduled_start"}),
    ({"case_number": 5, "title": "t", "scheduled_start": "2026-05-11T09:00:00+08:00"},
     {"case_number"}),
    ({"case_number": "c", "title": "t", "scheduled_start": "tomorrow"}, {"scheduled_start"}),
    ({"case_number": "c", "title": "t", "scheduled_start": "2026-05-11T09:00:00"},
     {"scheduled_start"}),
    ({"case_number": "c", "title": "x" * 300, "scheduled_start": "2026-05-11T09:00:00Z"},
     {"title"}),
    ({"case_number": "c", "title": "t", "scheduled_start": "2026-05-11T09:00:00Z",
      "expected_duration_minutes": "long"}, {"expected_duration_minutes"}),
    ({"case_number": "c", "title": "t", "scheduled_start": "2026-05-11T09:00:00Z",
      "expected_duration_minutes": 0}, {"expected_duration_minutes"}),
    ({"case_number": "c", "title": "t", "scheduled_start": "2026-05-11T09:00:00Z",
      "is_public": "yes"}, {"is_public"}),
    ({"case_number": "c\x00", "title": "t", "scheduled_start": "2026-05-11T09:00:00Z"},
     {"case_number"}),
    ({"case_number": "c", "title": "t", "scheduled_start": "2026-05-11T09:00:00Z",
      "clerk": "nobody"}, {"clerk"}),
    ({"case_number": "c", "title": "t", "scheduled_start": "2026-05-11T09:00:00Z",
      "clerk": "judge2"}, {"clerk"}),
]  # fmt: skip


@pytest.mark.parametrize(("body", "bad_fields"), BAD_HEARINGS)
async def test_bad_hearing_bodies_name_their_fields(
    judge: ApiClient, body: dict[str, Any], bad_fields: set[str]
) -> None:
    reply = await judge.post("/api/hearings", body)
    assert reply.status == 400, reply.body
    assert reply.body["error"]["code"] == "invalid_request"
    assert set(reply.body["error"]["fields"]) == bad_fields
    assert (await judge.get("/api/hearings")).body["hearings"] == []


async def test_malformed_requests(judge: ApiClient) -> None:
    not_json = await judge.request(
        "POST", "/api/hearings", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert not_json.status == 400
    assert not_json.body["error"]["message"] == "request body is not valid JSON"
    form = await judge.request(
        "POST", "/api/hearings", data=b"a=b", headers={"Content-Type": "text/plain"}
    )
    assert form.status == 400
    assert "application/json" in form.body["error"]["message"]
    array = await judge.post("/api/hearings", [1, 2])
    assert array.status == 400
    huge = await judge.post("/api/hearings", {"title": "x" * 200_000})
    assert huge.status == 413
    assert "Traceback" not in str(huge.body)
    assert (await judge.get("/api/hearings/999999")).status == 404
    assert (await judge.get("/api/hearings/abc")).status == 400
    assert (await judge.get("/api/hearings?state=bogus")).status == 400
    assert (await judge.get("/api/hearings?date=May")).status == 400
    unknown_route = await judge.get("/api/nothing-here")
    assert unknown_route.status == 404
    assert unknown_route.body["error"]["code"] == "not_found"


async def test_bad_participants_and_exchange(
    judge: ApiClient, new_client: Callable[[], ApiClient], hearing_payload: Any
) -> None:
    hid = (await judge.post("/api/hearings", hearing_payload())).body["hearing"]["id"]
    bad_role = await judge.post(
        f"/api/hearings/{hid}/participants", {"role": "king", "display_name": "K"}
    )
    assert bad_role.status == 400
    assert "role" in bad_role.body["error"]["fields"]
    staff_role = await judge.post(
        f"/api/hearings/{hid}/participants", {"role": "judge", "display_name": "J"}
    )
    assert staff_role.status == 400
    missing = await new_client().post("/api/party/exchange", {})
    assert missing.status == 400
    wrong_type = await new_client().post("/api/party/exchange", {"token": 123})
    assert wrong_type.status == 400
    assert "token" in wrong_type.body["error"]["fields"]


async def test_hostile_bodies_get_a_clear_400_and_change_nothing(
    judge: ApiClient, hearing_payload: Any
) -> None:
    deep = await judge.request(
        "POST", "/api/hearings", data=b"[" * 30_000 + b"]" * 30_000,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert deep.status == 400, deep.body
    assert deep.body["error"]["message"] == "request body is nested too deeply"
    for bad in ({"expected_duration_minutes": True}, {"is_public": 1}, {"title": ["t"]}):
        reply = await judge.post("/api/hearings", {**hearing_payload(), **bad})
        assert reply.status == 400, reply.body
        assert set(reply.body["error"]["fields"]) == set(bad)
    assert (await judge.get("/api/hearings")).body["hearings"] == []
