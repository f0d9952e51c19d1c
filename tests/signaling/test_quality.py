"""Connection quality: parties report what their browser measured; only staff see it."""

from __future__ import annotations

from typing import Any

import pytest

from signaling.protocol.quality import Level, classify
from tests.support.clock import FakeClock
from tests.support.sockets import SocketClient


@pytest.mark.parametrize(
    ("loss", "rtt_ms", "level"),
    [(0.0, None, Level.GOOD), (0.01, 120, Level.GOOD), (0.03, 50, Level.FAIR),
     (0.0, 300, Level.FAIR), (0.10, 50, Level.POOR), (0.0, 800, Level.POOR)],
)  # fmt: skip
def test_classification_thresholds(loss: float, rtt_ms: int | None, level: Level) -> None:
    assert classify(loss, rtt_ms) is level


async def _admitted(courtroom: dict[str, Any]) -> tuple[SocketClient, SocketClient, SocketClient]:
    judge = courtroom["open_socket"]()
    await judge.connect()
    sockets = []
    for role in ("plaintiff", "defendant"):
        party = courtroom["open_socket"](as_party=role)
        await party.connect()
        pid = courtroom["parties"][role]["participant_id"]
        assert (await judge.call("admit", {"participant_id": pid}))["ok"] is True
        await party.wait_for("admitted")
        sockets.append(party)
    return judge, sockets[0], sockets[1]


async def test_staff_see_a_partys_quality_and_other_parties_do_not(
    courtroom: dict[str, Any], clock: FakeClock
) -> None:
    judge, plaintiff, defendant = await _admitted(courtroom)
    pid = courtroom["parties"]["plaintiff"]["participant_id"]
    reply = await plaintiff.call("quality_report", {"loss": 0.12, "rtt_ms": 240})
    assert reply == {"ok": True, "level": "poor"}
    seen = await judge.wait_for("quality", lambda q: q["participant_id"] == pid)
    assert seen == {"participant_id": pid, "level": "poor", "loss": 0.12, "rtt_ms": 240}

    # Too soon: dropped quietly (no error notice on the page), nothing sent; later: accepted.
    again = await plaintiff.call("quality_report", {"loss": 0.0, "rtt_ms": 40})
    assert again == {"ok": True, "level": None, "ignored": True}
    assert "error" not in plaintiff.events()
    clock.advance(seconds=3)
    assert (await plaintiff.call("quality_report", {"loss": 0.0, "rtt_ms": 40}))["level"] == "good"
    better = await judge.wait_for("quality", lambda q: q["participant_id"] == pid)
    assert better["level"] == "good"
    assert "quality" not in defendant.events()

    # A judge who joins later gets the last levels with the room; a party gets none.
    late_judge = courtroom["open_socket"]()
    await late_judge.connect()
    joined = await late_judge.call("join")
    assert [q["level"] for q in joined["quality"] if q["participant_id"] == pid] == ["good"]
    assert (await defendant.call("join"))["quality"] == []


@pytest.mark.parametrize(
    "payload",
    [{}, {"loss": -0.1}, {"loss": 1.5}, {"loss": "0.1"}, {"loss": True},
     {"loss": 0.1, "rtt_ms": -1}, {"loss": 0.1, "rtt_ms": 1.5}, {"loss": 0.1, "rtt_ms": 70_000}],
)  # fmt: skip
async def test_malformed_reports_are_refused(
    courtroom: dict[str, Any], payload: dict[str, Any]
) -> None:
    judge, plaintiff, _ = await _admitted(courtroom)
    reply = await plaintiff.call("quality_report", payload)
    assert reply["ok"] is False and reply["error"]["code"] == "bad_message"
    assert "quality" not in judge.events()


async def test_the_lobby_cannot_report(courtroom: dict[str, Any]) -> None:
    judge = courtroom["open_socket"]()
    await judge.connect()
    waiting = courtroom["open_socket"](as_party="plaintiff")
    await waiting.connect()
    reply = await waiting.call("quality_report", {"loss": 0.0, "rtt_ms": 10})
    assert reply["ok"] is False
    assert "quality" not in judge.events()


async def test_everyone_in_the_courtroom_hears_of_a_transition(courtroom: dict[str, Any]) -> None:
    judge, plaintiff, defendant = await _admitted(courtroom)
    hid = courtroom["hearing_id"]
    started = await courtroom["judge"].post(f"/api/hearings/{hid}/transitions", {"action": "start"})
    assert started.status == 200, started.body
    for client in (judge, plaintiff, defendant):
        change = await client.wait_for("hearing_state")
        assert change == {"state": "in_session", "from": "open", "action": "start"}
