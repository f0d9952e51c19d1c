"""The signaling namespace through a real server and real Socket.IO clients."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from aiohttp import web

from hearing_server.store.eventlog import event_to_json, load_events, verify_hearing_log
from hearing_server.web.keys import COURTROOMS, DATABASE
from signaling.namespace import MAX_FRAME_BYTES
from tests.support.api import ApiClient
from tests.support.clock import FakeClock
from tests.support.sockets import SocketClient, member


async def _judge_and_plaintiff(room: dict[str, Any]) -> tuple[SocketClient, SocketClient, int]:
    judge = room["open_socket"]()
    await judge.connect()
    party = room["open_socket"](as_party="plaintiff")
    await party.connect()
    return judge, party, room["parties"]["plaintiff"]["participant_id"]


async def _defendant(room: dict[str, Any]) -> tuple[SocketClient, int]:
    defendant = room["open_socket"](as_party="defendant")
    await defendant.connect()
    return defendant, room["parties"]["defendant"]["participant_id"]


async def _log(app: web.Application, hearing_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The hearing's event log straight from the database, after checking its hash chain."""
    async with app[DATABASE].read() as session:
        assert await verify_hearing_log(session, hearing_id) == []
        rows = [event_to_json(e) for e in await load_events(session, hearing_id)]
    return [(row["kind"], row["actor"], row["payload"]) for row in rows]


async def test_lobby_admission_mute_and_stage_reach_everyone(courtroom: dict[str, Any]) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    defendant, did = await _defendant(courtroom)
    waiting = await judge.wait_for("room", lambda s: member(s, pid) and member(s, did))
    assert member(waiting, pid)["status"] == "lobby"
    assert (member(waiting, pid)["name"], member(waiting, pid)["role"]) == ("张三", "plaintiff")
    joined = await party.call("join")
    assert joined["ok"] is True
    assert joined["you"] == pid
    assert joined["ice_servers"] == []
    assert member(joined["room"], pid)["status"] == "lobby"

    admitted = await judge.call("admit", {"participant_id": pid})
    assert admitted["ok"] is True
    await party.wait_for("admitted")
    update = await judge.wait_for("room_update", lambda d: d["version"] == admitted["version"])
    assert [m["status"] for m in update["members"]] == ["admitted"]
    assert "admitted" not in defendant.events()

    muted = await judge.call("mute", {"participant_id": pid, "muted": True})
    assert muted["ok"] is True
    for client in (judge, party, defendant):
        snapshot = await client.wait_for("room", lambda s: s["version"] == muted["version"])
        assert member(snapshot, pid)["muted"] is True
    assert (await judge.call("unmute", {"participant_id": pid}))["ok"] is True
    await party.wait_for("room", lambda s: member(s, pid)["muted"] is False)

    staged = await judge.call("set_stage", {"stage": "court_discipline"})
    for client in (party, defendant):
        update = await client.wait_for("room_update", lambda d: "stage" in d)
        assert update["stage"] == "court_discipline"
        stage = await client.wait_for("stage")  # sent after the room_update
        assert stage == {"stage": "court_discipline", "previous": None,
                         "version": staged["version"]}  # fmt: skip
    assert (await party.call("accept_rules"))["ok"]
    assert (await party.call("set_audio_only", {"participant_id": pid, "audio_only": True}))["ok"]
    assert all("error" not in c.events() for c in (judge, party, defendant))


async def test_every_judge_act_is_logged_with_its_actor(
    courtroom: dict[str, Any], app: web.Application
) -> None:
    judge, _party, pid = await _judge_and_plaintiff(courtroom)
    defendant, did = await _defendant(courtroom)
    for event, data in (
        ("confirm_identity", {"participant_id": pid}),
        ("admit", {"participant_id": pid}),
        ("mute", {"participant_id": pid, "muted": True}),
        ("set_audio_only", {"participant_id": pid, "audio_only": True}),
        ("set_stage", {"stage": "identity_check"}),
        ("deny", {"participant_id": did}),
        ("remove", {"participant_id": pid}),
    ):
        reply = await judge.call(event, data)
        assert reply["ok"] is True, (event, reply)
    await defendant.wait_for("denied")
    events = await _log(app, courtroom["hearing_id"])
    live = events[[kind for kind, _, _ in events].index("participant.joined") :]
    by_judge = [kind for kind, actor, _ in live if actor == "staff:judge"]
    assert by_judge == [
        "participant.joined", "identity.confirmed", "lobby.admitted", "participant.muted",
        "participant.audio_only", "stage.changed", "lobby.denied", "participant.removed",
    ]  # fmt: skip
    entered = [p["participant_id"] for kind, _, p in events if kind == "lobby.entered"]
    assert entered == [pid, did]
    api: ApiClient = courtroom["judge"]
    hearing = (await api.get(f"/api/hearings/{courtroom['hearing_id']}")).body
    assert next(p for p in hearing["participants"] if p["id"] == pid)["identity_verified"]


async def test_a_party_raises_a_hand_and_the_court_lowers_it(
    courtroom: dict[str, Any], app: web.Application
) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    defendant, _did = await _defendant(courtroom)
    refused = await defendant.call("raise_hand")  # still in the lobby
    assert refused["error"]["code"] == "wrong_state", refused
    await judge.call("admit", {"participant_id": pid})
    raised = await party.call("raise_hand")
    assert raised["ok"] is True, raised
    seen = await judge.wait_for("room", lambda s: s["version"] == raised["version"])
    assert member(seen, pid)["hand_raised"] is True
    for client, event, data, code in (
        (party, "raise_hand", {"participant_id": pid}, "bad_message"),
        (party, "lower_hand", {"participant_id": courtroom["judge_pid"]}, "not_allowed"),
        (judge, "raise_hand", {}, "not_allowed"),
        (party, "lower_hand", {"participant_id": "me"}, "bad_message"),
    ):
        reply = await client.call(event, data)
        assert reply["ok"] is False and reply["error"]["code"] == code, (event, reply)
    lowered = await judge.call("lower_hand", {"participant_id": pid})
    assert lowered["ok"] is True
    seen = await party.wait_for("room", lambda s: s["version"] == lowered["version"])
    assert member(seen, pid)["hand_raised"] is False
    too_soon = await party.call("raise_hand")  # within 3 s of the last
    assert too_soon["error"]["code"] == "too_soon", too_soon
    logged = [(k, a, p) for k, a, p in await _log(app, courtroom["hearing_id"]) if "hand" in k]
    assert logged == [
        ("hand.raised", f"participant:{pid}", {"participant_id": pid}),
        ("hand.lowered", "staff:judge", {"participant_id": pid, "by": courtroom["judge_pid"]}),
    ]


async def test_party_cannot_act_as_judge(courtroom: dict[str, Any]) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    before = (await judge.call("join"))["room"]
    for event, data in (
        ("admit", {"participant_id": pid}),
        ("set_stage", {"stage": "debate"}),
        ("mute", {"participant_id": courtroom["judge_pid"], "muted": True}),
        ("set_audio_only", {"participant_id": courtroom["judge_pid"], "audio_only": True}),
        ("remove", {"participant_id": courtroom["judge_pid"]}),
        ("confirm_identity", {"participant_id": pid}),
    ):
        reply = await party.call(event, data)
        assert reply["ok"] is False
        assert reply["error"]["code"] in ("not_allowed", "wrong_state"), reply
        error = await party.wait_for("error")
        assert error == reply["error"]
        assert error["ref"] == event
    after = (await judge.call("join"))["room"]
    assert after == before
    assert "error" not in judge.events()


BAD_MESSAGES = [
    ("admit", "not an object", "bad_message"),
    ("admit", [1, 2], "bad_message"),
    ("admit", {}, "bad_message"),
    ("admit", {"participant_id": "x"}, "bad_message"),
    ("mute", {"participant_id": 1, "muted": 1}, "bad_message"),
    ("set_stage", {"stage": 7}, "bad_message"),
    ("set_stage", {"stage": "lunch"}, "bad_message"),
    ("offer", {"sdp": "x" * 70_000}, "bad_message"),
    ("offer", {}, "bad_message"),
    ("accept_rules", {"pad": "x" * 99_000}, "bad_message"),  # under the frame cap
    ("ice_candidate", {"candidate": "c" * 2000}, "bad_message"),
    ("offer", {"sdp": "v=0\r\nnonsense\r\n"}, "wrong_state"),
    ("ice_candidate", {"candidate": "candidate:1 1 udp 1 1.2.3.4 9 typ host"}, "wrong_state"),
    ("no_such_event", {}, "bad_message"),
    ("admit", {"participant_id": 424242}, "unknown_participant"),
]


async def test_bad_messages_get_errors_and_change_nothing(courtroom: dict[str, Any]) -> None:
    judge, party, _pid = await _judge_and_plaintiff(courtroom)
    before = (await judge.call("join"))["room"]
    for event, data, code in BAD_MESSAGES:
        sender = judge if code == "unknown_participant" else party
        reply = await sender.call(event, data)
        assert reply["ok"] is False, event
        assert reply["error"]["code"] == code, (event, reply)
        assert "Traceback" not in reply["error"]["message"]
        assert (await sender.wait_for("error")) == reply["error"]
    assert (await judge.call("join"))["room"] == before
    assert judge.events().count("error") == 1  # only its own unknown_participant
    assert (await judge.call("set_stage", {"stage": "investigation"}))["ok"] is True
    await party.wait_for("stage")


async def test_an_oversized_frame_closes_only_that_connection(courtroom: dict[str, Any]) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    gone = asyncio.get_running_loop().create_future()
    party.sio.on("disconnect", lambda *_: gone.done() or gone.set_result(True), "/hearing")
    await party.sio.emit("accept_rules", {"pad": "x" * MAX_FRAME_BYTES}, namespace="/hearing")
    await asyncio.wait_for(gone, 10)
    await judge.wait_for("room", lambda s: member(s, pid).get("connected") is False)
    assert (await judge.call("set_stage", {"stage": "evidence"}))["ok"] is True


async def test_connections_are_checked(
    courtroom: dict[str, Any], sign_in: Any, hearing_payload: Any
) -> None:
    refused = {
        "no session": courtroom["open_socket"](cookie="", token=""),
        "forged cookie": courtroom["open_socket"](cookie="hs_staff=forged"),
        "forged token": courtroom["open_socket"](cookie="", token="x" * 40),
        "foreign origin": courtroom["open_socket"](origin="https://evil.example"),
        "hearing id as text": courtroom["open_socket"](as_party="plaintiff", hearing_id="1"),
    }
    other_judge = await sign_in("judge2")
    other = await other_judge.post("/api/hearings", hearing_payload(case_number="B-1"))
    other_id = other.body["hearing"]["id"]
    refused["party of A into B"] = courtroom["open_socket"](as_party="plaintiff",
                                                            hearing_id=other_id)  # fmt: skip
    refused["judge of A into B"] = courtroom["open_socket"](hearing_id=other_id)
    for why, client in refused.items():
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect()
        assert not client.sio.connected, why


async def test_a_second_connection_replaces_the_first(courtroom: dict[str, Any]) -> None:
    judge, first, pid = await _judge_and_plaintiff(courtroom)
    gone = asyncio.get_running_loop().create_future()
    first.sio.on("disconnect", lambda *_: gone.done() or gone.set_result(True), "/hearing")
    second = courtroom["open_socket"](as_party="plaintiff")
    await second.connect()
    await asyncio.wait_for(gone, 10)
    assert (await second.call("accept_rules"))["ok"] is True
    snapshot = (await judge.call("join"))["room"]
    assert member(snapshot, pid)["connected"] is True
    assert member(snapshot, pid)["rules_accepted"] is True


async def test_removed_party_cannot_come_back_even_to_a_reopened_room(
    courtroom: dict[str, Any], app: web.Application
) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    await judge.call("admit", {"participant_id": pid})
    await judge.call("set_stage", {"stage": "evidence"})
    assert (await judge.call("remove", {"participant_id": pid}))["ok"]
    await party.wait_for("removed")
    again = courtroom["open_socket"](as_party="plaintiff")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect()
    await judge.close()
    registry = app[COURTROOMS]  # as after a restart: the live room is gone, the log is not
    await registry.rooms.pop(courtroom["hearing_id"]).media.close()
    later = courtroom["open_socket"](as_party="plaintiff")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await later.connect()
    judge_again = courtroom["open_socket"]()
    await judge_again.connect()
    assert (await judge_again.call("join"))["room"]["stage"] == "evidence"


async def test_reconnect_within_grace_then_dropped_after(
    courtroom: dict[str, Any], clock: FakeClock, app: web.Application
) -> None:
    judge, party, pid = await _judge_and_plaintiff(courtroom)
    await judge.call("admit", {"participant_id": pid})
    await party.close()
    await judge.wait_for("room", lambda s: member(s, pid).get("connected") is False)
    clock.advance(seconds=20)
    assert await app[COURTROOMS].sweep_once() == []
    back = courtroom["open_socket"](as_party="plaintiff")
    await back.connect()
    snapshot = await judge.wait_for("room", lambda s: member(s, pid).get("connected") is True)
    assert member(snapshot, pid)["status"] == "admitted"
    assert "admitted" not in back.events()  # no new admission needed
    await back.close()
    await judge.wait_for("room", lambda s: member(s, pid).get("connected") is False)
    clock.advance(seconds=60)
    assert await app[COURTROOMS].sweep_once() == [(courtroom["hearing_id"], pid)]
    dropped = await judge.wait_for("room", lambda s: member(s, pid).get("status") == "left")
    assert member(dropped, pid)["connected"] is False
    late = courtroom["open_socket"](as_party="plaintiff")
    await late.connect()
    waiting = await judge.wait_for("room", lambda s: member(s, pid).get("connected") is True)
    assert member(waiting, pid)["status"] == "lobby"

    events = await _log(app, courtroom["hearing_id"])
    live = events[[kind for kind, _, _ in events].index("participant.joined") :]
    mine = [(kind, payload) for kind, _, payload in live if payload.get("participant_id") == pid]
    assert [kind for kind, _ in mine] == [
        "lobby.entered", "lobby.admitted", "participant.disconnected", "participant.reconnected",
        "participant.disconnected", "participant.dropped", "lobby.entered",
    ]  # fmt: skip
    assert mine[3][1] == {"participant_id": pid, "gap_ms": 20000, "status": "admitted"}


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
