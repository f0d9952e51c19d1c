"""Signing through the real server: keys, manifests, verified signatures, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hearing_server.store.eventlog import event_to_json, load_events, verify_hearing_log
from hearing_server.web.keys import DATABASE
from tests.signing.conftest import SigningRoom
from tests.support.api import ApiClient
from transcript.verify import verify_bundle


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


async def test_the_clerk_exports_the_bundle_as_an_export_job(
    signing_room: SigningRoom, tmp_path: Path
) -> None:
    room, hid = signing_room, signing_room.hearing_id
    clerk = room.signers["clerk"].api
    early = await clerk.post(f"/api/hearings/{hid}/exports", {"kind": "bundle"})
    assert early.status == 202, early.body
    failed = await _job(room, clerk, early.body["id"])
    assert failed["state"] == "failed" and "not everyone has signed" in failed["error"]
    assert (await room.signers["plaintiff"].refuse(hid, "I disagree")).status == 201
    for role in ("defendant", "clerk", "judge"):
        assert (await room.signers[role].sign(hid)).status == 201
    started = await clerk.post(f"/api/hearings/{hid}/exports", {"kind": "bundle"})
    done = await _job(room, clerk, started.body["id"])
    assert done["state"] == "done", done
    party = await room.signers["plaintiff"].api.get(
        f"/api/hearings/{hid}/exports/{done['id']}/file"
    )
    assert party.status == 403
    async with clerk.session.get(
        f"{clerk.base_url}/api/hearings/{hid}/exports/{done['id']}/file"
    ) as response:
        assert response.status == 200
        (tmp_path / "b.zip").write_bytes(await response.read())
    assert verify_bundle(tmp_path / "b.zip").failures == []
    assert done["kind"] == "bundle" and done["filename"] == f"hearing-{hid}-bundle.zip"


async def _job(room: SigningRoom, client: ApiClient, job_id: str) -> dict[str, Any]:
    """Wait for the job's final ``export_progress`` event, then read the job."""
    await room.clerk_socket.wait_for(
        "export_progress", lambda d: d["id"] == job_id and d["state"] != "running", timeout_s=60
    )
    reply = await client.get(f"/api/hearings/{room.hearing_id}/exports/{job_id}")
    job: dict[str, Any] = reply.body
    return job
