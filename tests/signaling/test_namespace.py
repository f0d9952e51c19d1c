"""The signaling namespace through a real server and real Socket.IO clients."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from tests.support.api import ApiClient
from tests.support.clock import FakeClock
from tests.support.sockets import SocketClient, member


async def _judge_and_plaintiff(room: dict[str, Any]) -> tuple[SocketClient, SocketClient, int]:
    judge = room["open_socket"]()
    await judge.connect()
    party = room["open_socket"](as_party="plaintiff")
    await party.connect()
    return judge, party, room["parties"]["plaintiff"]["participant_id"]


async def test_lobby_admission_stage_and_log(courtroom: dict[str, Any]) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    waiting = await judge.wait_for(
        "room", lambda s: any(m["participant_id"] == pid for m in s["members"])
    )
    assert member(waiting, pid)["status"] == "lobby"
    assert member(waiting, pid)["name"] == "张三"
    joined = await party.call("join")
    assert joined["ok"] is True
    assert member(joined["room"], pid)["status"] == "lobby"
    assert (await judge.call("admit", {"participant_id": pid}))["ok"] is True
    await party.wait_for("admitted")
    assert (await judge.call("set_stage", {"stage": "court_discipline"}))["ok"] is True
    snapshot = await party.wait_for("room", lambda s: s["stage"] == "court_discipline")
    assert member(snapshot, pid)["status"] == "admitted"
    assert (await judge.call("mute", {"participant_id": pid, "muted": True}))["ok"]
    await party.wait_for("room", lambda s: member(s, pid).get("muted") is True)
    assert (await party.call("accept_rules"))["ok"]
    api: ApiClient = courtroom["judge"]
    log = (await api.get(f"/api/hearings/{courtroom['hearing_id']}/events")).body
    kinds = [e["kind"] for e in log["events"]]
    for kind in ("lobby.entered", "lobby.admitted", "stage.changed", "participant.muted",
                 "rules.accepted", "participant.joined"):  # fmt: skip
        assert kind in kinds
    assert log["intact"] is True


async def test_confirm_identity_is_stored(courtroom: dict[str, Any]) -> None:
    judge, _party, pid = await _judge_and_plaintiff(courtroom)
    assert (await judge.call("confirm_identity", {"participant_id": pid}))["ok"]
    api: ApiClient = courtroom["judge"]
    hearing = (await api.get(f"/api/hearings/{courtroom['hearing_id']}")).body
    assert next(p for p in hearing["participants"] if p["id"] == pid)["identity_verified"]


async def test_party_cannot_act_as_judge(courtroom: dict[str, Any]) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    before = (await judge.call("join"))["room"]
    for event, data in (
        ("admit", {"participant_id": pid}),
        ("set_stage", {"stage": "debate"}),
        ("mute", {"participant_id": courtroom["judge_pid"], "muted": True}),
        ("remove", {"participant_id": courtroom["judge_pid"]}),
    ):
        reply = await party.call(event, data)
        assert reply["ok"] is False
        assert reply["error"]["code"] in ("not_allowed", "wrong_state")
    error = await party.wait_for("error")
    assert error["ref"] == "admit"
    after = (await judge.call("join"))["room"]
    assert after == before
    assert "error" not in judge.events()


BAD_MESSAGES = [
    ("admit", "not an object", "bad_message"),
    ("admit", {}, "bad_message"),
    ("admit", {"participant_id": "x"}, "bad_message"),
    ("mute", {"participant_id": 1, "muted": 1}, "bad_message"),
    ("set_stage", {"stage": 7}, "bad_message"),
    ("offer", {"sdp": "x" * 70_000}, "bad_message"),
    ("offer", {"sdp": "v=0\r\nnonsense\r\n"}, "wrong_state"),
    ("no_such_event", {}, "bad_message"),
    ("admit", {"participant_id": 424242}, "unknown_participant"),
]


async def test_bad_messages_get_errors_and_change_nothing(courtroom: dict[str, Any]) -> None:
    judge, party, _pid = await _judge_and_plaintiff(courtroom)
    version = (await judge.call("join"))["room"]["version"]
    for event, data, code in BAD_MESSAGES:
        sender = judge if code == "unknown_participant" else party
        reply = await sender.call(event, data)
        assert reply["ok"] is False, event
        assert reply["error"]["code"] == code, (event, reply)
        assert "Traceback" not in reply["error"]["message"]
    assert (await judge.call("join"))["room"]["version"] == version
    assert (await judge.call("set_stage", {"stage": "investigation"}))["ok"] is True


async def test_connections_are_checked(
    courtroom: dict[str, Any], sign_in: Any, hearing_payload: Any
) -> None:
    anonymous = courtroom["open_socket"](cookie="hs_staff=forged")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await anonymous.connect()
    foreign = courtroom["open_socket"](origin="https://evil.example")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await foreign.connect()
    other_judge = await sign_in("judge2")
    other = await other_judge.post("/api/hearings", hearing_payload(case_number="B-1"))
    wrong_hearing = courtroom["open_socket"](
        as_party="plaintiff", hearing_id=other.body["hearing"]["id"]
    )
    with pytest.raises(socketio.exceptions.ConnectionError):
        await wrong_hearing.connect()
    no_hearing = courtroom["open_socket"](as_party="plaintiff", hearing_id="1")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await no_hearing.connect()


async def test_removed_party_cannot_come_back(courtroom: dict[str, Any]) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    await judge.call("admit", {"participant_id": pid})
    assert (await judge.call("remove", {"participant_id": pid}))["ok"]
    await party.wait_for("removed")
    again = courtroom["open_socket"](as_party="plaintiff")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect()


async def test_reconnect_within_grace_then_dropped_after(
    courtroom: dict[str, Any], clock: FakeClock
) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    await judge.call("admit", {"participant_id": pid})
    await party.close()
    await judge.wait_for("room", lambda s: member(s, pid).get("connected") is False)
    clock.advance(seconds=20)
    back = courtroom["open_socket"](as_party="plaintiff")
    await back.connect()
    snapshot = await judge.wait_for("room", lambda s: member(s, pid).get("connected") is True)
    assert member(snapshot, pid)["status"] == "admitted"
    await back.close()
    await judge.wait_for("room", lambda s: member(s, pid).get("connected") is False)
    clock.advance(seconds=61)
    dropped = await judge.wait_for("room", lambda s: member(s, pid).get("status") == "left")
    assert member(dropped, pid)["connected"] is False
    api: ApiClient = courtroom["judge"]
    log = (await api.get(f"/api/hearings/{courtroom['hearing_id']}/events")).body
    gaps = [e["payload"] for e in log["events"] if e["kind"] == "participant.reconnected"]
    assert gaps == [{"participant_id": pid, "gap_ms": 20000, "status": "admitted"}]
    assert "participant.dropped" in [e["kind"] for e in log["events"]]


async def test_parties_cannot_enter_before_the_lobby_opens(
    hearing_with_parties: dict[str, Any], new_client: Any
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    package = hearing_with_parties["invitations"]["defendant"]
    client = new_client()
    session = await client.post("/api/party/exchange", {"token": package["link"].rsplit("/", 1)[1]})
    early = SocketClient(
        judge.base_url, hearing_with_parties["hearing_id"], token=session.body["session_token"]
    )
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await early.connect()
    finally:
        await early.close()
