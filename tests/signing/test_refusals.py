"""Signatures the server must refuse, with a clear error and nothing stored."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from hearing_server.store.signing_models import SigningRecord
from hearing_server.web.keys import DATABASE
from tests.signing.conftest import Signer, SigningRoom
from tests.signing.phones import PhoneKey, drawn_signature
from tests.support.api import Reply


async def _stored(room: SigningRoom) -> tuple[int, int]:
    """(signing records, events) held for the hearing."""
    async with room.app[DATABASE].read() as session:
        records = (await session.exec(select(SigningRecord))).all()
        status = await room.signers["judge"].api.get(f"/api/hearings/{room.hearing_id}")
    return len(records), status.body["hearing"]["event_count"]


async def _refused(room: SigningRoom, reply: Reply, code: str, before: tuple[int, int]) -> None:
    assert reply.status in {400, 403, 409}, reply.body
    assert reply.error_code == code, reply.body
    assert reply.body["error"]["message"]
    assert "Traceback" not in str(reply.body)
    assert await _stored(room) == before


async def _issued(signer: Signer, hid: int) -> str:
    reply = await signer.manifest(hid)
    assert reply.status == 200, reply.body
    text: str = reply.body["manifest"]
    return text


async def test_a_key_not_registered_for_the_signer_is_refused(signing_room: SigningRoom) -> None:
    room, hid = signing_room, signing_room.hearing_id
    plaintiff, defendant = room.signers["plaintiff"], room.signers["defendant"]
    before = await _stored(room)
    stranger = Signer("plaintiff", plaintiff.participant_id, plaintiff.api, PhoneKey())
    await _refused(room, await stranger.manifest(hid), "key_not_registered", before)
    # the defendant's own manifest, signed with the plaintiff's key, sent by the plaintiff
    text = await _issued(defendant, hid)
    forged = await plaintiff.submit(hid, text, plaintiff.key.sign_raw(text.encode()))
    await _refused(room, forged, "key_not_registered", before)
    # the plaintiff's manifest naming the defendant's key
    text = (await _issued(plaintiff, hid)).replace(
        plaintiff.key.fingerprint, defendant.key.fingerprint
    )
    other = await plaintiff.submit(hid, text, defendant.key.sign_raw(text.encode()))
    await _refused(room, other, "key_not_registered", before)


async def test_a_bad_signature_or_image_is_refused(signing_room: SigningRoom) -> None:
    room, hid = signing_room, signing_room.hearing_id
    plaintiff = room.signers["plaintiff"]
    before = await _stored(room)
    text = await _issued(plaintiff, hid)
    wrong = await plaintiff.submit(hid, text, plaintiff.key.sign_raw(b"something else"))
    await _refused(room, wrong, "bad_signature", before)
    other_image = await plaintiff.submit(
        hid, text, plaintiff.key.sign_raw(text.encode()), image=drawn_signature(seed=7)
    )
    await _refused(room, other_image, "wrong_manifest", before)
    edited = text.replace('"signed_at":"', '"signed_at":"1')
    changed = await plaintiff.submit(hid, edited, plaintiff.key.sign_raw(edited.encode()))
    await _refused(room, changed, "wrong_manifest", before)
    spaced = text.replace('","', '", "', 1)
    loose = await plaintiff.submit(hid, spaced, plaintiff.key.sign_raw(spaced.encode()))
    await _refused(room, loose, "invalid_request", before)
    garbage: dict[str, Any] = {"manifest": text, "signature": "%%%", "signature_image": "x"}
    reply = await plaintiff.api.post(f"/api/hearings/{hid}/signing/signatures", garbage)
    await _refused(room, reply, "invalid_request", before)


async def test_a_manifest_made_stale_by_a_change_after_lock_is_refused(
    signing_room: SigningRoom,
) -> None:
    room, hid = signing_room, signing_room.hearing_id
    plaintiff = room.signers["plaintiff"]
    text = await _issued(plaintiff, hid)
    correction = await room.party_sockets["defendant"].call(
        "transcript_correction",
        {"entry_id": 3, "proposed_text": "被告部分同意。", "reason": "记录有误"},
    )
    assert correction["ok"], correction
    before = await _stored(room)
    stale = await plaintiff.submit(hid, text, plaintiff.key.sign_raw(text.encode()))
    await _refused(room, stale, "stale_manifest", before)
    pending = await plaintiff.manifest(hid)
    await _refused(room, pending, "corrections_pending", before)
    ruled = await room.clerk_socket.call(
        "transcript_rule", {"correction_id": 1, "accept": False, "note": "记录无误"}
    )
    assert ruled["ok"], ruled
    before = await _stored(room)
    still_stale = await plaintiff.submit(hid, text, plaintiff.key.sign_raw(text.encode()))
    await _refused(room, still_stale, "stale_manifest", before)
    assert (await plaintiff.sign(hid)).status == 201


async def test_signing_after_unlock_is_refused_and_unlock_voids_signatures(
    signing_room: SigningRoom,
) -> None:
    room, hid = signing_room, signing_room.hearing_id
    plaintiff, defendant = room.signers["plaintiff"], room.signers["defendant"]
    assert (await defendant.sign(hid)).status == 201
    text = await _issued(plaintiff, hid)
    unlocked = await room.judge_socket.call("transcript_unlock", {"reason": "补充记录"})
    assert unlocked["ok"], unlocked
    before = await _stored(room)
    late = await plaintiff.submit(hid, text, plaintiff.key.sign_raw(text.encode()))
    await _refused(room, late, "transcript_not_locked", before)
    await _refused(room, await plaintiff.refuse(hid, "no"), "transcript_not_locked", before)
    status = await room.signers["judge"].api.get(f"/api/hearings/{hid}/signing")
    assert {s["status"] for s in status.body["signers"]} == {"pending"}
    assert (await room.clerk_socket.call("transcript_lock", {}))["ok"]
    status = await room.signers["judge"].api.get(f"/api/hearings/{hid}/signing")
    assert {s["status"] for s in status.body["signers"]} == {"pending"}  # sign again
    assert (await defendant.sign(hid)).status == 201


async def test_keys_from_after_identity_confirmation_or_another_session_cannot_sign(
    signing_room: SigningRoom, new_client: Any
) -> None:
    room, hid = signing_room, signing_room.hearing_id
    plaintiff = room.signers["plaintiff"]
    late_key = PhoneKey()
    registered = await plaintiff.api.post(
        f"/api/hearings/{hid}/signer-key", {"public_key": late_key.spki_b64}
    )
    assert registered.status == 201
    assert registered.body["key"]["bound"] is False
    late = Signer("plaintiff", plaintiff.participant_id, plaintiff.api, late_key)
    before = await _stored(room)
    reply = await late.manifest(hid)
    await _refused(room, reply, "key_not_registered", before)
    assert "after your identity was confirmed" in reply.body["error"]["message"]
    # the same (bound) key presented from another session of the same participant (its text
    # fetched first: re-issuing the invitation ends the plaintiff's own session)
    text = await _issued(plaintiff, hid)
    judge_api = room.signers["judge"].api
    reissued = await judge_api.post(
        f"/api/hearings/{hid}/participants/{plaintiff.participant_id}/invitation"
    )
    assert reissued.status == 201, reissued.body
    other_phone = new_client()
    exchanged = await other_phone.post(
        "/api/party/exchange", {"token": reissued.body["link"].rsplit("/", 1)[1]}
    )
    assert exchanged.status == 200, exchanged.body
    other_phone.bearer = exchanged.body["session_token"]
    thief = Signer("plaintiff", plaintiff.participant_id, other_phone, plaintiff.key)
    before = await _stored(room)  # re-issuing and exchanging are logged
    reply = await thief.manifest(hid)
    await _refused(room, reply, "key_not_registered", before)
    assert "another session" in reply.body["error"]["message"]
    stolen = await thief.submit(hid, text, plaintiff.key.sign_raw(text.encode()))
    await _refused(room, stolen, "key_not_registered", before)


async def test_bad_keys_and_refusals_need_a_reason(signing_room: SigningRoom) -> None:
    room, hid = signing_room, signing_room.hearing_id
    plaintiff = room.signers["plaintiff"]
    before = await _stored(room)
    for bad in ("AAAA", "%%%", PhoneKey().spki_b64[:-8] + "AAAAAAA="):
        reply = await plaintiff.api.post(f"/api/hearings/{hid}/signer-key", {"public_key": bad})
        await _refused(room, reply, "invalid_request", before)
    await _refused(room, await plaintiff.refuse(hid, "   "), "invalid_request", before)
    assert (await plaintiff.refuse(hid, "I was not heard")).status == 201
    again = await plaintiff.refuse(hid, "twice")
    assert again.error_code == "already_decided"
