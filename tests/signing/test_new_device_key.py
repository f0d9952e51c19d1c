"""A confirmed party whose key arrives later (a new phone, a browser that lost its key or its
session) signs once the judge or clerk has checked their identity again and accepted that very
key; nobody else can accept it, and the offline verifier accepts the signature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hearing_server.services.signer_keys import MAX_KEYS_PER_SEAT
from tests.signing.conftest import Signer, SigningRoom
from tests.signing.phones import PhoneKey
from tests.support.api import ApiClient, Reply
from tests.support.processes import run_cli
from transcript.verify import verify_bundle


def _waiting(status: dict[str, Any]) -> dict[int, str | None]:
    return {s["participant_id"]: s["waiting_key"] for s in status["signers"]}


async def _bind(signer: Signer, hid: int, pid: int, fingerprint: str) -> Reply:
    return await signer.api.post(
        f"/api/hearings/{hid}/signer-keys/{pid}/bind", {"fingerprint": fingerprint}
    )


async def _event_count(room: SigningRoom) -> int:
    reply = await room.signers["judge"].api.get(f"/api/hearings/{room.hearing_id}")
    count: int = reply.body["hearing"]["event_count"]
    return count


async def test_a_new_key_signs_after_a_second_identity_check(
    signing_room: SigningRoom, tmp_path: Path, sign_in: Callable[[str], Awaitable[ApiClient]]
) -> None:
    room, hid = signing_room, signing_room.hearing_id
    judge, clerk = room.signers["judge"], room.signers["clerk"]
    plaintiff, defendant = room.signers["plaintiff"], room.signers["defendant"]
    pid = plaintiff.participant_id
    new_phone = Signer("plaintiff", pid, plaintiff.api, PhoneKey())

    registered = await new_phone.api.post(
        f"/api/hearings/{hid}/signer-key", {"public_key": new_phone.key.spki_b64}
    )
    assert registered.status == 201 and registered.body["key"]["bound"] is False
    # the judge's and clerk's panels learn of it live; so does the party's own page
    for socket in (room.judge_socket, room.clerk_socket, room.party_sockets["plaintiff"]):
        live = await socket.wait_for(
            "signing", lambda s: _waiting(s).get(pid) == new_phone.key.fingerprint
        )
        assert set(_waiting(live).values()) == {None, new_phone.key.fingerprint}
    assert (await new_phone.manifest(hid)).error_code == "key_not_registered"

    before = await _event_count(room)
    other_judge = Signer("judge", 0, await sign_in("judge2"), PhoneKey())  # not this hearing's
    refusals = [
        (other_judge, pid, new_phone.key.fingerprint, 403, "forbidden"),
        (plaintiff, pid, new_phone.key.fingerprint, 403, "forbidden"),  # a party vouches for itself
        (defendant, pid, new_phone.key.fingerprint, 403, "forbidden"),
        (judge, pid, plaintiff.key.fingerprint, 409, "key_not_waiting"),  # the old, bound key
        (judge, pid, PhoneKey().fingerprint, 409, "key_not_waiting"),  # a key never registered
        (judge, defendant.participant_id, new_phone.key.fingerprint, 409, "key_not_waiting"),
        (judge, clerk.participant_id, new_phone.key.fingerprint, 409, "key_not_waiting"),
        (judge, 999_999, new_phone.key.fingerprint, 404, "not_found"),
        (judge, pid, "NOT-HEX", 400, "invalid_request"),
    ]
    for caller, target, fingerprint, status, code in refusals:
        reply = await _bind(caller, hid, target, fingerprint)
        assert (reply.status, reply.error_code) == (status, code), (caller.role, reply.body)
        assert reply.body["error"]["message"] and "Traceback" not in str(reply.body)
    assert await _event_count(room) == before  # nothing logged, nothing bound

    accepted = await _bind(clerk, hid, pid, new_phone.key.fingerprint)
    assert accepted.status == 201, accepted.body
    assert accepted.body["key"] == {
        "fingerprint": new_phone.key.fingerprint, "bound": True,
        "bound_by": "identity_reconfirmation",
    }  # fmt: skip
    live = await room.judge_socket.wait_for("signing", lambda s: _waiting(s).get(pid) is None)
    assert set(_waiting(live).values()) == {None}
    again = await _bind(judge, hid, pid, new_phone.key.fingerprint)
    assert again.error_code == "key_not_waiting"
    log = (await judge.api.get(f"/api/hearings/{hid}/events")).body
    bound = [e for e in log["events"] if e["kind"] == "signer_key.bound"][-1]
    assert bound["payload"] == {"participant_id": pid, "fingerprint": new_phone.key.fingerprint,
                                "by": "identity_reconfirmation"}  # fmt: skip
    assert bound["actor"].startswith("staff:")

    # The new phone signs; everyone else decides; the bundle verifies offline.
    assert (await new_phone.sign(hid)).status == 201
    assert (await defendant.refuse(hid, "I disagree with entry 3")).status == 201
    for signer in (clerk, judge):
        assert (await signer.sign(hid)).status == 201
    out = tmp_path / "bundle.zip"
    result = await run_cli(
        "export-bundle", str(hid), "--out", str(out), "--data-dir", str(room.settings.data_dir),
        "--database-url", room.settings.effective_database_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = verify_bundle(out)
    assert report.failures == [], report.failures
    assert any(new_phone.key.fingerprint[:16] in line for line in report.lines), report.lines


async def test_a_seat_registers_a_bounded_number_of_keys(signing_room: SigningRoom) -> None:
    room, hid = signing_room, signing_room.hearing_id
    plaintiff = room.signers["plaintiff"]
    path = f"/api/hearings/{hid}/signer-key"
    for _ in range(MAX_KEYS_PER_SEAT - 1):  # the fixture registered the first
        assert (await plaintiff.api.post(path, {"public_key": PhoneKey().spki_b64})).status == 201
    before = await _event_count(room)
    refused = await plaintiff.api.post(path, {"public_key": PhoneKey().spki_b64})
    assert (refused.status, refused.error_code) == (409, "too_many_keys"), refused.body
    assert await _event_count(room) == before
    again = await plaintiff.api.post(path, {"public_key": plaintiff.key.spki_b64})
    assert again.status == 201 and again.body["key"]["bound"] is True  # known keys still answer
