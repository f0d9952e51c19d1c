"""State transitions through the API: legal ones logged, illegal ones refused with 409."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hearing_server.domain.clock import iso_utc
from hearing_server.domain.hearing_state import TRANSITIONS, HearingAction, HearingState
from tests.support.api import ApiClient
from tests.support.clock import FakeClock

LIFE = [
    ("open_lobby", "open"),
    ("start", "in_session"),
    ("recess", "recessed"),
    ("resume", "in_session"),
    ("close", "closed"),
    ("begin_signing", "signing"),
    ("seal", "sealed"),
]


async def test_every_transition_is_logged_and_every_illegal_one_refused(
    hearing_with_parties: dict[str, Any],
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    state = "scheduled"
    for action, target in LIFE:
        for illegal in HearingAction:
            if (HearingState(state), illegal) in TRANSITIONS:
                continue
            refused = await judge.post(f"/api/hearings/{hid}/transitions", {"action": illegal})
            assert refused.status == 409, (state, illegal)
            assert refused.body["error"]["code"] == "illegal_transition"
            assert state in refused.body["error"]["message"]
        reply = await judge.post(f"/api/hearings/{hid}/transitions", {"action": action})
        assert reply.status == 200, reply.body
        assert reply.body["hearing"]["state"] == target
        state = target
    events = await judge.get(f"/api/hearings/{hid}/events")
    kinds = [e["kind"] for e in events.body["events"] if e["kind"].startswith("hearing.")]
    assert kinds == ["hearing.created"] + [f"hearing.{a}" for a, _ in LIFE]
    assert events.body["intact"] is True


async def test_transition_by_target_state(hearing_with_parties: dict[str, Any]) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    assert (await judge.post(f"/api/hearings/{hid}/transitions", {"to": "open"})).status == 200
    jump = await judge.post(f"/api/hearings/{hid}/transitions", {"to": "sealed"})
    assert jump.status == 409
    assert "open to sealed" in jump.body["error"]["message"]
    bad = await judge.post(f"/api/hearings/{hid}/transitions", {"to": "nowhere"})
    assert bad.status == 400
    assert "to" in bad.body["error"]["fields"]


async def test_clerk_opens_the_lobby_but_only_the_judge_starts(
    hearing_with_parties: dict[str, Any], sign_in: Callable[[str], Awaitable[ApiClient]]
) -> None:
    hid = hearing_with_parties["hearing_id"]
    clerk = await sign_in("clerk")
    opened = await clerk.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    assert opened.status == 200
    started = await clerk.post(f"/api/hearings/{hid}/transitions", {"action": "start"})
    assert started.status == 403
    admin = await sign_in("admin")
    assert (await admin.post(f"/api/hearings/{hid}/transitions", {"action": "start"})).status == 403
    judge: ApiClient = hearing_with_parties["judge"]
    state = (await judge.get(f"/api/hearings/{hid}")).body["hearing"]["state"]
    assert state == "open"


async def test_editing_and_deleting_follow_the_state(
    hearing_with_parties: dict[str, Any],
    sign_in: Callable[[str], Awaitable[ApiClient]],
    hearing_payload: Callable[..., dict[str, Any]],
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    edited = await judge.patch(f"/api/hearings/{hid}", {"courtroom": "第五法庭"})
    assert edited.status == 200
    assert edited.body["hearing"]["courtroom"] == "第五法庭"
    await judge.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
    await judge.post(f"/api/hearings/{hid}/transitions", {"action": "start"})
    late_edit = await judge.patch(f"/api/hearings/{hid}", {"title": "x"})
    assert late_edit.status == 409
    assert (await judge.delete(f"/api/hearings/{hid}")).status == 409
    spare = await judge.post("/api/hearings", hearing_payload(case_number="SPARE"))
    spare_id = spare.body["hearing"]["id"]
    assert (await judge.delete(f"/api/hearings/{spare_id}")).status == 204
    assert (await judge.get(f"/api/hearings/{spare_id}")).status == 404
    listed = await judge.get("/api/hearings?state=in_session")
    assert [h["id"] for h in listed.body["hearings"]] == [hid]
    by_day = await judge.get("/api/hearings?date=2026-05-11")
    assert [h["id"] for h in by_day.body["hearings"]] == [hid]
    assert (await judge.get("/api/hearings?date=2026-05-12")).body["hearings"] == []


async def test_hearing_view_says_when_it_started_by_the_servers_clock(
    hearing_with_parties: dict[str, Any], clock: FakeClock
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    before = await judge.get(f"/api/hearings/{hid}")
    assert before.body["hearing"]["started_at"] is None
    assert before.body["now"] == iso_utc(clock.now())
    for action in ("open_lobby", "start", "recess"):
        clock.advance(minutes=5)
        assert (
            await judge.post(f"/api/hearings/{hid}/transitions", {"action": action})
        ).status == 200
        if action == "start":
            started = iso_utc(clock.now())
    clock.advance(minutes=5)
    assert (
        await judge.post(f"/api/hearings/{hid}/transitions", {"action": "resume"})
    ).status == 200
    after = await judge.get(f"/api/hearings/{hid}")
    assert after.body["hearing"]["started_at"] == started  # the first start, not the resume
