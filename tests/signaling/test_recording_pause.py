"""Only the judge pauses the recording, and only for an allowed reason; all of it is logged."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import ApiClient

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def test_pause_needs_the_judge_and_an_allowed_reason(courtroom: dict[str, Any]) -> None:
    api: ApiClient = courtroom["judge"]
    hid = courtroom["hearing_id"]
    judge = courtroom["open_socket"]()
    await judge.connect()
    party = courtroom["open_socket"](as_party="plaintiff")
    await party.connect()
    await judge.call(
        "admit", {"participant_id": courtroom["parties"]["plaintiff"]["participant_id"]}
    )
    not_yet = await judge.call("recording_pause", {"reason": "recess"})
    assert not_yet["error"]["code"] == "wrong_state"

    assert (await api.post(f"/api/hearings/{hid}/transitions", {"action": "start"})).status == 200
    await judge.wait_for("recording", lambda d: d["active"] is True)
    for reason in ("lunch", "", None, 5):
        refused = await judge.call("recording_pause", {"reason": reason})
        assert refused["ok"] is False
        assert refused["error"]["code"] == "bad_message"
        assert "non_public_evidence" in refused["error"]["message"]
    for payload in ({}, None, "recess", {"reason": "RECESS"}):
        refused = await judge.call("recording_pause", payload)
        assert refused["error"]["code"] == "bad_message", payload
    assert (await api.get(f"/api/hearings/{hid}/recording")).body["state"] == "recording"
    by_party = await party.call("recording_pause", {"reason": "mediation_caucus"})
    assert by_party["error"]["code"] == "not_allowed"

    paused = await judge.call("recording_pause", {"reason": "non_public_evidence"})
    assert paused == {"ok": True, "recording": {"state": "paused", "active": False,
                                                "reason": "non_public_evidence"}}  # fmt: skip
    await party.wait_for("recording", lambda d: d == paused["recording"])
    joined = await party.call("join")
    assert joined["recording"] == paused["recording"]
    resumed = await judge.call("recording_resume")
    assert resumed == {"ok": True, "recording": {"state": "recording", "active": True,
                                                 "reason": None}}  # fmt: skip
    again = await judge.call("recording_resume")
    assert again["error"]["code"] == "wrong_state"

    assert (await api.post(f"/api/hearings/{hid}/transitions", {"action": "recess"})).status == 200
    await judge.wait_for("recording", lambda d: d["reason"] == "recess")
    assert (await api.post(f"/api/hearings/{hid}/transitions", {"action": "resume"})).status == 200
    await judge.wait_for("recording", lambda d: d["active"] is True)
    assert (await api.post(f"/api/hearings/{hid}/transitions", {"action": "close"})).status == 200
    await judge.wait_for("recording", lambda d: d["reason"] == "closed")
    assert (await api.get(f"/api/hearings/{hid}/recording")).body["state"] == "stopped"

    log = (await api.get(f"/api/hearings/{hid}/events")).body
    assert log["intact"] is True
    recording = [(e["kind"], e["payload"]) for e in log["events"] if e["kind"].startswith("rec")]
    origin = recording[0][1].pop("origin_epoch_ms")
    assert isinstance(origin, int)
    assert recording == [
        ("recording.started", {"directory": str(hid)}),
        ("recording.paused", {"reason": "non_public_evidence"}),
        ("recording.resumed", {}),
        ("recording.paused", {"reason": "recess"}),
        ("recording.resumed", {}),
        ("recording.stopped", {}),
    ]
