"""Signing through the real server: keys, manifests, verified signatures, refusals."""

from __future__ import annotations

from hearing_server.eventlog import event_to_json, load_events, verify_hearing_log
from hearing_server.web.keys import DATABASE
from tests.signing.conftest import SigningRoom


async def _kinds(room: SigningRoom) -> list[tuple[str, dict]]:
    async with room.app[DATABASE].read() as session:
        assert await verify_hearing_log(session, room.hearing_id) == []
        rows = [event_to_json(e) for e in await load_events(session, room.hearing_id)]
    return [(row["kind"], row["payload"]) for row in rows]


async def test_everyone_signs_and_the_transcript_is_finalised(signing_room: SigningRoom) -> None:
    room = signing_room
    hid = room.hearing_id
    for role in ("plaintiff", "defendant", "clerk"):
        reply = await room.signers[role].sign(hid, raw=role != "clerk")
        assert reply.status == 201, reply.body
        assert reply.body["complete"] is False
    last = await room.signers["judge"].sign(hid)
    assert last.status == 201, last.body
    assert last.body["complete"] is True
    assert last.body["transcript_state"] == "signed"
    assert {s["status"] for s in last.body["signers"]} == {"signed"}
    update = await room.judge_socket.wait_for("signing", lambda d: d["complete"])
    assert len(update["signers"]) == 4
    kinds = [kind for kind, _ in await _kinds(room)]
    assert kinds.count("transcript.signature_added") == 4
    assert kinds[-1] == "transcript.signed"
    bound = [p for k, p in await _kinds(room) if k == "signer_key.bound"]
    assert {p["fingerprint"] for p in bound} == {s.key.fingerprint for s in room.signers.values()}
