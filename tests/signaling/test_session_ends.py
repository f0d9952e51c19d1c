"""Sessions end everywhere at once, through the real server and real Socket.IO clients: a
judge who logs out, is deactivated or gets a new password, and a party whose invitation is
revoked or re-issued, lose their open sockets within 1 s and cannot act or come back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import socketio
from aiohttp import web

from hearing_server.store.eventlog import event_to_json, load_events
from hearing_server.web.keys import DATABASE
from tests.support.api import ApiClient
from tests.support.clock import FakeClock
from tests.support.sockets import SocketClient, member
from tests.support.waiting import until

ENDED = "your session has ended; sign in again"


async def _log(app: web.Application, hearing_id: int) -> list[tuple[str, str]]:
    async with app[DATABASE].read() as session:
        rows = [event_to_json(e) for e in await load_events(session, hearing_id)]
    return [(row["kind"], row["actor"]) for row in rows]


async def _cut_off(client: SocketClient) -> None:
    await until(lambda: not client.sio.connected, timeout_s=1.0, what="the socket to be closed")


async def _refused_at_connect(client: SocketClient) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()


@pytest.mark.parametrize("ending", ["logout", "deactivated", "new password"])
async def test_a_judges_open_socket_ends_with_their_session(
    courtroom: dict[str, Any],
    app: web.Application,
    sign_in: Callable[[str], Awaitable[ApiClient]],
    ending: str,
) -> None:
    judge = courtroom["open_socket"]()
    await judge.connect()
    party = courtroom["open_socket"](as_party="plaintiff")
    await party.connect()
    pid, judge_pid = courtroom["parties"]["plaintiff"]["participant_id"], courtroom["judge_pid"]
    await judge.wait_for("room", lambda s: member(s, pid))
    api: ApiClient = courtroom["judge"]
    cookie = f"hs_staff={api.cookie('hs_staff')}"
    if ending == "logout":
        assert (await api.post("/api/auth/logout")).status == 204
    else:
        admin = await sign_in("admin")
        judge_id = (await api.get("/api/auth/me")).body["user_id"]
        change = {"active": False} if ending == "deactivated" else {"password": "another-pass-1"}
        assert (await admin.patch(f"/api/staff/{judge_id}", change)).status == 200
    await _cut_off(judge)
    seen = await party.wait_for("room", lambda s: member(s, judge_pid)["connected"] is False)
    assert member(seen, pid)["status"] == "lobby"
    await _refused_at_connect(courtroom["open_socket"](cookie=cookie))
    logged = await _log(app, courtroom["hearing_id"])
    assert "lobby.admitted" not in [kind for kind, _ in logged]
    assert logged[-1] == ("participant.disconnected", "system")


async def test_an_act_on_an_expired_session_is_refused_and_closes_the_socket(
    courtroom: dict[str, Any], app: web.Application, clock: FakeClock
) -> None:
    judge = courtroom["open_socket"]()
    await judge.connect()
    party = courtroom["open_socket"](as_party="plaintiff")
    await party.connect()
    pid = courtroom["parties"]["plaintiff"]["participant_id"]
    await judge.wait_for("room", lambda s: member(s, pid))
    clock.advance(hours=12, minutes=1)  # the judge's session has expired; nobody was told
    refused = await judge.call("admit", {"participant_id": pid})
    assert refused["ok"] is False
    assert refused["error"] == {"code": "not_allowed", "message": ENDED, "ref": "admit"}
    await _cut_off(judge)
    logged = await _log(app, courtroom["hearing_id"])
    assert "lobby.admitted" not in [kind for kind, _ in logged]
    assert logged[-1] == ("participant.disconnected", "system")


@pytest.mark.parametrize("ending", ["revoked", "reissued"])
async def test_an_admitted_partys_socket_ends_with_their_invitation(
    courtroom: dict[str, Any], app: web.Application, new_client: Callable[[], ApiClient],
    ending: str,
) -> None:  # fmt: skip
    judge = courtroom["open_socket"]()
    await judge.connect()
    party = courtroom["open_socket"](as_party="plaintiff")
    await party.connect()
    pid = courtroom["parties"]["plaintiff"]["participant_id"]
    await judge.wait_for("room", lambda s: member(s, pid))
    assert (await judge.call("admit", {"participant_id": pid}))["ok"] is True
    await party.wait_for("admitted")
    api: ApiClient = courtroom["judge"]
    path = f"/api/hearings/{courtroom['hearing_id']}/participants/{pid}/invitation"
    reply = await (api.delete(path) if ending == "revoked" else api.post(path))
    assert reply.status == (200 if ending == "revoked" else 201)
    await _cut_off(party)
    seen = await judge.wait_for("room", lambda s: member(s, pid)["connected"] is False)
    assert member(seen, pid)["status"] == "admitted"  # away, as after a lost network
    await _refused_at_connect(courtroom["open_socket"](as_party="plaintiff"))
    old = new_client()
    old.bearer = courtroom["parties"]["plaintiff"]["session_token"]
    assert (await old.get("/api/auth/me")).status == 401
    logged = await _log(app, courtroom["hearing_id"])
    assert logged[-1] == ("participant.disconnected", "system")
    assert (await judge.call("join"))["ok"] is True  # the judge's socket is untouched
