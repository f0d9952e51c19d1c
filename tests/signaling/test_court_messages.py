"""Written messages in the courtroom: staff to everyone (the waiting room too) or to one person,
anyone else to the court only; each logged; paced; a phone that rejoins gets what it missed."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from hearing_server.web.keys import COURTROOMS
from signaling.protocol.court_messages import MAX_PER_PARTICIPANT, MessageBoard, TooManyMessages
from signaling.protocol.exceptions import NotAllowed, WrongState
from signaling.protocol.messages import CourtMessage
from signaling.protocol.room import Event, RoomState, Status
from tests.signaling.test_namespace import _log


def _room() -> RoomState:
    room = RoomState(hearing_id=1)
    for pid, role, name in ((1, "judge", "Judge"), (2, "clerk", "Clerk"),
                            (3, "plaintiff", "张三"), (4, "defendant", "Li Si")):  # fmt: skip
        room.connect(pid, role=role, name=name, identity_verified=False, now=0.0)
    return room


def test_who_may_write_to_whom() -> None:
    room, board = _room(), MessageBoard()
    to_all = board.send(room, 1, CourtMessage("We start at ten.", None), now_s=0, at="t")
    assert to_all.recipients == {1, 2, 3, 4} and to_all.wire["audience"] == "everyone"
    to_one = board.send(room, 2, CourtMessage("Please unmute.", 3), now_s=0, at="t")
    assert to_one.recipients == {1, 2, 3} and to_one.event[1]["to"] == 3
    asked = board.send(room, 4, CourtMessage("I cannot hear.", None), now_s=0, at="t")
    assert asked.recipients == {1, 2, 4} and asked.wire["audience"] == "court"
    assert asked.wire["from"] == {"participant_id": 4, "name": "Li Si", "role": "defendant"}
    with pytest.raises(NotAllowed):  # parties do not address each other
        board.send(room, 3, CourtMessage("hello", 4), now_s=10, at="t")
    room.members[4].status = Status.REMOVED
    with pytest.raises(WrongState):
        board.send(room, 1, CourtMessage("and you?", 4), now_s=10, at="t")
    with pytest.raises(WrongState):
        board.send(room, 4, CourtMessage("let me back", None), now_s=10, at="t")
    assert [d["id"] for d in board.visible_to(3)] == [1, 2]
    assert [d["id"] for d in board.visible_to(4)] == [1, 3]
    assert [d["id"] for d in board.visible_to(1)] == [1, 2, 3]


def test_parties_are_paced_and_bounded_staff_are_not() -> None:
    room, board = _room(), MessageBoard()
    board.send(room, 3, CourtMessage("one", None), now_s=100.0, at="t")
    with pytest.raises(TooManyMessages, match="wait 2 s"):
        board.send(room, 3, CourtMessage("two", None), now_s=101.0, at="t")
    board.send(room, 4, CourtMessage("another person", None), now_s=101.0, at="t")
    for index in range(1, MAX_PER_PARTICIPANT):
        board.send(room, 3, CourtMessage(f"#{index}", None), now_s=100.0 + 2 * index, at="t")
    with pytest.raises(TooManyMessages, match="at most"):
        board.send(room, 3, CourtMessage("again", None), now_s=10_000.0, at="t")
    for _ in range(5):  # the judge and clerk are not paced
        board.send(room, 1, CourtMessage("notice", None), now_s=10_000.0, at="t")


def test_a_board_rebuilt_from_the_log_goes_on_where_it_was() -> None:
    room, board = _room(), MessageBoard()
    logged: list[Event] = [("stage.changed", {"to": "investigation"})]
    for index in range(MAX_PER_PARTICIPANT - 1):
        delivery = board.send(room, 3, CourtMessage(f"#{index}", None), now_s=2.0 * index, at="t")
        logged.append(delivery.event)
    logged.append(board.send(room, 1, CourtMessage("Please wait.", 4), now_s=0, at="t9").event)
    logged.append(("message.sent", {"from": 1, "text": "logged before recipients were"}))
    rebuilt = MessageBoard.from_log(logged)
    for pid in (1, 2, 3, 4):
        assert rebuilt.visible_to(pid) == board.visible_to(pid)
    assert rebuilt.visible_to(4) == [
        {"id": 50, "from": {"participant_id": 1, "name": "Judge", "role": "judge"},
         "audience": "participant", "to": 4, "text": "Please wait.", "at": "t9"},
    ]  # fmt: skip
    # numbering and each party's allowance go on (pacing starts afresh)
    nxt = rebuilt.send(room, 3, CourtMessage("last one", None), now_s=0.0, at="t")
    assert nxt.wire["id"] == 52
    with pytest.raises(TooManyMessages, match="at most"):
        rebuilt.send(room, 3, CourtMessage("one more", None), now_s=100.0, at="t")


async def test_messages_through_the_namespace_are_delivered_and_logged(
    courtroom: dict[str, Any], app: web.Application
) -> None:
    judge = courtroom["open_socket"]()
    await judge.connect()
    parties = courtroom["parties"]
    plaintiff = courtroom["open_socket"](as_party="plaintiff")
    defendant = courtroom["open_socket"](as_party="defendant")
    for socket in (plaintiff, defendant):
        await socket.connect()
    p_id, d_id = parties["plaintiff"]["participant_id"], parties["defendant"]["participant_id"]
    hid, judge_pid = courtroom["hearing_id"], courtroom["judge_pid"]

    sent = await judge.call("message", {"text": "十分钟后开庭。"})  # both are in the lobby
    assert sent["ok"] is True, sent
    for socket in (judge, plaintiff, defendant):
        got = await socket.wait_for("message", lambda m: m["id"] == sent["message"]["id"])
        assert got["text"] == "十分钟后开庭。" and got["from"]["participant_id"] == judge_pid

    private = await judge.call("message", {"text": "Please check your microphone.", "to": d_id})
    assert private["ok"] is True
    await defendant.wait_for("message", lambda m: m["id"] == private["message"]["id"])
    asked = await plaintiff.call("message", {"text": "I cannot hear the judge."})
    assert asked["ok"] is True
    got = await judge.wait_for("message", lambda m: m["id"] == asked["message"]["id"])
    assert got["audience"] == "court" and got["from"]["participant_id"] == p_id

    refused = [
        (plaintiff, {"text": "hi", "to": d_id}, "not_allowed"),
        (plaintiff, {"text": "again"}, "too_many_messages"),  # within 2 s of the last
        (judge, {"text": "x" * 501}, "bad_message"),
        (judge, {"text": "who?", "to": 999_999}, "unknown_participant"),
    ]
    for socket, data, code in refused:
        reply = await socket.call("message", data)
        assert reply["ok"] is False and reply["error"]["code"] == code, reply
    # What the plaintiff must not see never reached them; the defendant not the plaintiff's.
    texts = {m["text"] for name, m in plaintiff.inbox if name == "message"}
    assert texts == {"十分钟后开庭。", "I cannot hear the judge."}
    texts = {m["text"] for name, m in defendant.inbox if name == "message"}
    assert texts == {"十分钟后开庭。", "Please check your microphone."}

    logged = [(actor, p) for kind, actor, p in await _log(app, hid) if kind == "message.sent"]
    assert [p["text"] for _actor, p in logged] == [
        "十分钟后开庭。", "Please check your microphone.", "I cannot hear the judge.",
    ]  # fmt: skip
    assert logged[2][0] == f"participant:{p_id}" and logged[1][1]["to"] == d_id

    # A phone that comes back gets the messages it was shown.
    await defendant.close()
    again = courtroom["open_socket"](as_party="defendant")
    await again.connect()
    joined = await again.call("join")
    assert [m["text"] for m in joined["messages"]] == [
        "十分钟后开庭。", "Please check your microphone.",
    ]  # fmt: skip

    # And after a restart (the live courtroom gone, the log kept) it still does.
    for socket in (judge, plaintiff, again):
        await socket.close()
    await app[COURTROOMS].rooms.pop(hid).media.close()
    after_restart = courtroom["open_socket"](as_party="defendant")
    await after_restart.connect()
    rejoined = await after_restart.call("join")
    assert rejoined["messages"] == joined["messages"]
