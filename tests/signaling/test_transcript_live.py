"""The live transcript through the real server: real Socket.IO clients, the real event log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hearing_server.app import create_app
from hearing_server.domain.clock import iso_utc
from hearing_server.services.transcript_store import rebuild_transcript
from hearing_server.settings import Settings
from hearing_server.store.eventlog import event_to_json, load_events, verify_hearing_log
from hearing_server.web.keys import COURTROOMS, DATABASE
from tests.support.api import ApiClient
from tests.support.clock import FakeClock
from tests.support.sockets import SocketClient

Room = dict[str, Any]


async def _bench(
    room: Room, sign_in: Callable[[str], Awaitable[ApiClient]]
) -> tuple[SocketClient, SocketClient, SocketClient, int]:
    """Judge, clerk and the admitted plaintiff, connected; returns the plaintiff's id too."""
    judge = room["open_socket"]()
    await judge.connect()
    clerk_api = await sign_in("clerk")
    clerk = room["open_socket"](cookie=f"hs_staff={clerk_api.cookie('hs_staff')}")
    await clerk.connect()
    party = room["open_socket"](as_party="plaintiff")
    await party.connect()
    pid: int = room["parties"]["plaintiff"]["participant_id"]
    assert (await judge.call("admit", {"participant_id": pid}))["ok"] is True
    admitted = await party.wait_for("admitted")
    assert admitted["transcript"]["version"] == 0
    return judge, clerk, party, pid


async def _add(clerk: SocketClient, pid: int, text: str, offset_ms: int = 0) -> dict[str, Any]:
    reply = await clerk.call(
        "transcript_add",
        {"speaker_participant_id": pid, "text": text, "media_offset_ms": offset_ms},
    )
    assert reply["ok"] is True, reply
    return reply


async def _transcript_log(app: web.Application, hearing_id: int) -> list[dict[str, Any]]:
    async with app[DATABASE].read() as session:
        assert await verify_hearing_log(session, hearing_id) == []
        rows = [event_to_json(e) for e in await load_events(session, hearing_id)]
    return [row for row in rows if row["kind"].startswith("transcript.")]


async def test_clerk_writes_and_admitted_participants_receive_the_delta(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], clock: FakeClock
) -> None:
    judge, clerk, party, pid = await _bench(courtroom, sign_in)
    lobby = courtroom["open_socket"](as_party="defendant")
    await lobby.connect()

    added = await _add(clerk, pid, "原告：我方请求被告支付货款十万元。", offset_ms=1500)
    assert added["version"] == 1
    for client in (party, judge, clerk):
        delta = await client.wait_for("transcript_delta", lambda d: d["version"] == 1)
        assert delta == added["delta"]
    payload = added["delta"]["payload"]
    assert payload["speaker"] == {
        "participant_id": str(pid), "display_name": "张三", "role": "plaintiff"
    }  # fmt: skip
    assert payload["stage"] == "identity_check"  # no stage set yet
    assert payload["at"] == iso_utc(clock.now())
    assert payload["media_offset_ms"] == 1500

    assert (await judge.call("set_stage", {"stage": "investigation"}))["ok"] is True
    clock.advance(seconds=30)
    judge_speaks = await _add(clerk, courtroom["judge_pid"], "审判员：现在开始法庭调查。")
    assert judge_speaks["delta"]["payload"]["stage"] == "investigation"
    assert judge_speaks["delta"]["payload"]["speaker"]["role"] == "judge"
    assert judge_speaks["delta"]["payload"]["at"] == iso_utc(clock.now())
    await party.wait_for("transcript_delta", lambda d: d["version"] == 2)

    # the lobby gets neither the snapshot nor the deltas
    waiting = await lobby.call("join")
    assert waiting["ok"] is True and waiting["transcript"] is None
    assert "transcript_delta" not in lobby.events()
    refused = await lobby.call("transcript_sync", {"since_version": 0})
    assert refused["error"]["code"] == "wrong_state"
    # a late joiner gets everything in the join ack
    joined = await party.call("join")
    assert joined["transcript"]["version"] == 2
    assert [e["text"] for e in joined["transcript"]["entries"]] == [
        "原告：我方请求被告支付货款十万元。", "审判员：现在开始法庭调查。"
    ]  # fmt: skip


async def test_a_party_cannot_write_and_nothing_changes(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]]
) -> None:
    judge, clerk, party, pid = await _bench(courtroom, sign_in)
    await _add(clerk, pid, "原告陈述。")
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("transcript_add", {"speaker_participant_id": pid, "text": "我说的", "media_offset_ms": 0}),
        ("transcript_edit", {"entry_id": 1, "text": "改过的"}),
        ("transcript_delete", {"entry_id": 1, "reason": "不要了"}),
        ("transcript_lock", {}),
        ("transcript_rule", {"correction_id": 1, "accept": True}),
    ]
    for event, data in attempts:
        reply = await party.call(event, data)
        assert reply["ok"] is False, event
        assert reply["error"]["code"] == "transcript_not_permitted", (event, reply)
        error = await party.wait_for("error", lambda e, ev=event: e["ref"] == ev)
        assert error == reply["error"]
    assert (await clerk.call("transcript_unlock", {"reason": "x"}))["error"]["code"] == (
        "transcript_not_permitted"  # only the judge unlocks
    )
    snapshot = (await judge.call("join"))["transcript"]
    assert snapshot["version"] == 1
    assert snapshot["entries"][0]["text"] == "原告陈述。"
    assert party.events().count("transcript_delta") == 1


def _add_message(
    text: str = "a", *, offset_ms: int = 0, speaker: int | str = "judge"
) -> dict[str, Any]:
    return {"speaker_participant_id": speaker, "text": text, "media_offset_ms": offset_ms}


BAD_MESSAGES: list[tuple[str, dict[str, Any], str]] = [
    ("transcript_add", _add_message("x" * 20_001), "bad_message"),
    ("transcript_add", _add_message("x" * 99_000), "bad_message"),  # over 96 KiB
    ("transcript_add", _add_message(""), "bad_message"),
    ("transcript_add", _add_message(offset_ms=-1), "bad_message"),
    ("transcript_add", _add_message("a\x00b"), "transcript_invalid_input"),
    ("transcript_add", _add_message(speaker=999_999), "unknown_participant"),
    ("transcript_edit", {"entry_id": 7, "text": "a"}, "transcript_unknown_record"),
    ("transcript_edit", {"entry_id": "1", "text": "a"}, "bad_message"),
    ("transcript_delete", {"entry_id": 1}, "bad_message"),  # a deletion needs a reason
    ("transcript_rule", {"correction_id": 1, "accept": False}, "bad_message"),  # so does refusal
    ("transcript_rule", {"correction_id": 3, "accept": True}, "transcript_unknown_record"),
    ("transcript_unlock", {"reason": "再议"}, "transcript_illegal_state"),
    ("transcript_sync", {"since_version": -1}, "bad_message"),
    ("transcript_sync", {}, "bad_message"),
]


@pytest.mark.parametrize(("event", "data", "code"), BAD_MESSAGES)
async def test_bad_transcript_messages_are_refused_cleanly(
    courtroom: Room, event: str, data: dict[str, Any], code: str
) -> None:
    judge = courtroom["open_socket"]()
    await judge.connect()
    if data.get("speaker_participant_id") == "judge":
        data = {**data, "speaker_participant_id": courtroom["judge_pid"]}
    reply = await judge.call(event, data)
    assert reply["ok"] is False
    assert reply["error"]["code"] == code, reply
    assert (await judge.call("join"))["transcript"]["version"] == 0
    assert judge.sio.connected  # refused politely, the connection stays


async def test_correction_and_ruling_are_hash_chained_events(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], app: web.Application
) -> None:
    judge, clerk, party, pid = await _bench(courtroom, sign_in)
    await _add(clerk, pid, "原告：货款是十万元。")
    filed = await party.call(
        "transcript_correction",
        {"entry_id": 1, "proposed_text": "原告：货款是十二万元。", "reason": "数额记错了"},
    )
    assert filed["ok"] is True, filed
    assert filed["delta"]["kind"] == "transcript.correction_filed"
    await clerk.wait_for("transcript_delta", lambda d: d["version"] == 2)
    ruled = await clerk.call(
        "transcript_rule", {"correction_id": 1, "accept": True, "note": "与录音一致"}
    )
    assert ruled["ok"] is True, ruled
    ruling = await party.wait_for("transcript_delta", lambda d: d["version"] == 3)
    assert ruling["kind"] == "transcript.correction_accepted"
    again = await judge.call("transcript_rule", {"correction_id": 1, "accept": False, "note": "n"})
    assert again["error"]["code"] == "transcript_illegal_operation"

    locked = await judge.call("transcript_lock", {})
    assert locked["ok"] is True and locked["delta"]["payload"]["content_sha256"]
    late_edit = await clerk.call("transcript_edit", {"entry_id": 1, "text": "再改"})
    assert late_edit["error"]["code"] == "transcript_illegal_state"
    assert (await judge.call("transcript_unlock", {"reason": "补充陈述"}))["ok"] is True

    logged = await _transcript_log(app, courtroom["hearing_id"])
    assert [row["kind"] for row in logged] == [
        "transcript.entry_added", "transcript.correction_filed",
        "transcript.correction_accepted", "transcript.locked", "transcript.unlocked",
    ]  # fmt: skip
    assert logged[1]["payload"] == filed["delta"]
    assert logged[2]["payload"] == ruled["delta"]
    assert logged[1]["actor"] != logged[2]["actor"]  # the party filed, the clerk ruled
    snapshot = (await party.call("join"))["transcript"]
    assert snapshot["entries"][0]["text"] == "原告：货款是十二万元。"
    assert snapshot["corrections"][0]["status"] == "accepted"


async def test_a_reconnecting_client_syncs_exactly_the_missed_deltas(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]]
) -> None:
    _judge, clerk, party, pid = await _bench(courtroom, sign_in)
    await _add(clerk, pid, "第一句。")
    await party.wait_for("transcript_delta", lambda d: d["version"] == 1)
    await party.close()

    missed = [
        (await _add(clerk, pid, "第二句。", offset_ms=2000))["delta"],
        (await _add(clerk, courtroom["judge_pid"], "第三句。", offset_ms=3000))["delta"],
    ]
    edited = await clerk.call("transcript_edit", {"entry_id": 1, "text": "第一句（更正）。"})
    assert edited["ok"] is True, edited
    missed.append(edited["delta"])

    back = courtroom["open_socket"](as_party="plaintiff")  # within the grace period: admitted
    await back.connect()
    synced = await back.call("transcript_sync", {"since_version": 1})
    assert synced["ok"] is True
    assert synced["version"] == 4
    assert synced["deltas"] == missed
    assert (await back.call("transcript_sync", {"since_version": 4}))["deltas"] == []
    ahead = await back.call("transcript_sync", {"since_version": 99})
    assert ahead["snapshot"]["version"] == 4  # cannot be patched: start over from a snapshot
    assert ahead["snapshot"] == (await back.call("join"))["transcript"]


async def test_the_reopened_courtroom_rebuilds_the_same_transcript(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], app: web.Application
) -> None:
    judge, clerk, party, pid = await _bench(courtroom, sign_in)
    hid = courtroom["hearing_id"]
    await _add(clerk, pid, "甲。", offset_ms=5000)
    await _add(clerk, pid, "乙。", offset_ms=1000)
    await clerk.call("transcript_delete", {"entry_id": 2, "reason": "重复"})
    await party.call(
        "transcript_correction", {"entry_id": 1, "proposed_text": "甲甲。", "reason": "听错"}
    )
    await judge.call("transcript_rule", {"correction_id": 1, "accept": False, "note": "不予更正"})
    assert (await judge.call("transcript_lock", {}))["ok"] is True
    registry = app[COURTROOMS]
    before = registry.rooms[hid].transcript
    sha, snapshot = before.canonical_sha256(), before.snapshot()
    for client in (judge, clerk, party):
        await client.close()
    await registry.rooms.pop(hid).media.close()  # as after a restart: only the log remains

    async with app[DATABASE].read() as session:
        rows = await load_events(session, hid)
    from_log = rebuild_transcript(hid, [(row.kind, event_to_json(row)["payload"]) for row in rows])
    assert from_log.canonical_sha256() == sha

    judge_again = courtroom["open_socket"]()
    await judge_again.connect()
    joined = await judge_again.call("join")
    assert joined["transcript"] == snapshot
    assert registry.rooms[hid].transcript.canonical_sha256() == sha
    assert (await judge_again.call("transcript_unlock", {"reason": "继续"}))["version"] == 7


async def test_a_fresh_app_on_the_same_database_has_the_same_transcript(
    courtroom: Room,
    sign_in: Callable[[str], Awaitable[ApiClient]],
    app: web.Application,
    settings: Settings,
    clock: FakeClock,
) -> None:
    _judge, clerk, _party, pid = await _bench(courtroom, sign_in)
    hid = courtroom["hearing_id"]
    await _add(clerk, pid, "原告：请求判令被告支付货款。")
    edited = await clerk.call("transcript_edit", {"entry_id": 1, "text": "原告：另请求利息。"})
    assert edited["ok"] is True
    sha = app[COURTROOMS].rooms[hid].transcript.canonical_sha256()

    restarted = TestServer(create_app(settings, clock=clock), host="127.0.0.1", port=0)
    await restarted.start_server()
    try:
        cookie = f"hs_staff={courtroom['judge'].cookie('hs_staff')}"
        judge_there = SocketClient(str(restarted.make_url("/")), hid, cookie=cookie)
        await judge_there.connect()
        try:
            joined = await judge_there.call("join")
            assert joined["transcript"]["version"] == 2
            assert restarted.app[COURTROOMS].rooms[hid].transcript.canonical_sha256() == sha
        finally:
            await judge_there.close()
    finally:
        await restarted.close()


async def test_an_entry_is_stamped_on_the_timeline_when_typing_began(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], clock: FakeClock
) -> None:
    """``started_ms_ago``: the server's timeline position minus the client's typing time."""
    _judge, clerk, _party, pid = await _bench(courtroom, sign_in)
    hid = courtroom["hearing_id"]

    def typed(text: str, ago_ms: int) -> dict[str, Any]:
        return {"speaker_participant_id": pid, "text": text, "started_ms_ago": ago_ms}

    before = await clerk.call("transcript_add", typed("开庭前。", 3_000))
    assert before["delta"]["payload"]["media_offset_ms"] == 0  # no recording yet: the start
    started = await courtroom["judge"].post(f"/api/hearings/{hid}/transitions", {"action": "start"})
    assert started.status == 200, started.body
    clock.advance(seconds=90)
    during = await clerk.call("transcript_add", typed("原告陈述。", 4_000))
    assert during["ok"] is True, during
    assert during["delta"]["payload"]["media_offset_ms"] == 86_000
    clock.advance(seconds=10)
    early = await clerk.call("transcript_add", typed("补记。", 500_000))
    assert early["delta"]["payload"]["media_offset_ms"] == 0  # never before the timeline
    for bad in (
        {"speaker_participant_id": pid, "text": "a"},
        {**typed("a", 1), "media_offset_ms": 5},
        typed("a", -1),
    ):
        reply = await clerk.call("transcript_add", bad)
        assert reply["error"]["code"] == "bad_message", bad
