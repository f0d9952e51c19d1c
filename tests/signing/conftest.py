"""A hearing ready for signing: judge, clerk and two parties in the courtroom, each holding a
registered, bound signer key; a transcript written and locked; two real recording segments."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hearing_server.services.recordings import NewSegment, add_segment
from hearing_server.settings import Settings
from hearing_server.web.keys import CLOCK, DATABASE
from tests.signaling.conftest import courtroom  # noqa: F401  (the fixture)
from tests.signing.phones import PhoneKey, b64, drawn_signature, make_audio_segment, make_segment
from tests.support.api import ApiClient, Reply
from tests.support.sockets import SocketClient


@dataclass
class Signer:
    role: str
    participant_id: int
    api: ApiClient
    key: PhoneKey
    image: bytes = field(default_factory=drawn_signature)

    async def manifest(self, hearing_id: int) -> Reply:
        return await self.api.post(
            f"/api/hearings/{hearing_id}/signing/manifest",
            {"key_fingerprint": self.key.fingerprint,
             "signature_image_sha256": hashlib.sha256(self.image).hexdigest()},
        )  # fmt: skip

    async def submit(
        self, hearing_id: int, manifest: str, signature: bytes, image: bytes | None = None
    ) -> Reply:
        return await self.api.post(
            f"/api/hearings/{hearing_id}/signing/signatures",
            {"manifest": manifest, "signature": b64(signature),
             "signature_image": b64(self.image if image is None else image)},
        )  # fmt: skip

    async def sign(self, hearing_id: int, *, raw: bool = True) -> Reply:
        issued = await self.manifest(hearing_id)
        assert issued.status == 200, issued.body
        text: str = issued.body["manifest"]
        data = text.encode()
        signature = self.key.sign_raw(data) if raw else self.key.sign_der(data)
        return await self.submit(hearing_id, text, signature)

    async def refuse(self, hearing_id: int, reason: str) -> Reply:
        return await self.api.post(
            f"/api/hearings/{hearing_id}/signing/refusals", {"reason": reason}
        )


@dataclass
class SigningRoom:
    hearing_id: int
    app: web.Application
    settings: Settings
    judge_socket: SocketClient
    clerk_socket: SocketClient
    party_sockets: dict[str, SocketClient]
    signers: dict[str, Signer]
    segments: list[Path]


async def log_segment(app: web.Application, hearing_id: int, path: Path, **extra: Any) -> None:
    """Put a closed segment on record exactly as the live recorder does (row + log event)."""
    data = await asyncio.to_thread(path.read_bytes)
    segment = NewSegment(
        participant_id=extra["participant_id"], kind=extra.get("kind", "video"),
        track_id=f"{extra['participant_id']}-{extra.get('kind', 'video')}",
        path=f"{hearing_id}/{path.name}", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        duration_ms=2000, start_ms=0, end_ms=2000,
    )  # fmt: skip
    payload = {"file": path.name, "participant_id": segment.participant_id, "kind": segment.kind,
               "seq": 1, "size_bytes": segment.size, "duration_ms": 2000,
               "sha256": segment.sha256, "timeline_start_ms": 0, "timeline_end_ms": 2000,
               "recovered": False}  # fmt: skip
    async with app[DATABASE].write() as session:
        await add_segment(
            session, hearing_id, segment, event_kind="recording.segment_closed",
            event_payload=payload, at=app[CLOCK].now(),
        )  # fmt: skip


@pytest.fixture
async def signing_room(
    courtroom: dict[str, Any],  # noqa: F811
    app: web.Application,
    settings: Settings,
    sign_in: Callable[[str], Awaitable[ApiClient]],
    new_client: Callable[[], ApiClient],
) -> SigningRoom:
    hid: int = courtroom["hearing_id"]
    judge_api: ApiClient = courtroom["judge"]
    clerk_api = await sign_in("clerk")
    judge = courtroom["open_socket"]()
    await judge.connect()
    clerk = courtroom["open_socket"](cookie=f"hs_staff={clerk_api.cookie('hs_staff')}")
    await clerk.connect()
    clerk_pid = (await clerk_api.get(f"/api/hearings/{hid}")).body["you"]["id"]
    signers = {
        "judge": Signer("judge", courtroom["judge_pid"], judge_api, PhoneKey()),
        "clerk": Signer("clerk", clerk_pid, clerk_api, PhoneKey()),
    }
    sockets: dict[str, SocketClient] = {}
    for role, party in courtroom["parties"].items():
        api = new_client()
        api.bearer = party["session_token"]
        signers[role] = Signer(role, party["participant_id"], api, PhoneKey())
        sockets[role] = courtroom["open_socket"](as_party=role)
        await sockets[role].connect()
    for signer in signers.values():  # every browser registers its key when it arrives
        reply = await signer.api.post(
            f"/api/hearings/{hid}/signer-key", {"public_key": signer.key.spki_b64}
        )
        assert reply.status == 201, reply.body
    for role in courtroom["parties"]:
        pid = signers[role].participant_id
        assert (await judge.call("confirm_identity", {"participant_id": pid}))["ok"]
        assert (await judge.call("admit", {"participant_id": pid}))["ok"]
        await sockets[role].wait_for("admitted")
    video = settings.data_dir / "recordings" / str(hid) / "1-video-00001.mkv"
    audio = settings.data_dir / "recordings" / str(hid) / "1-audio-00001.mkv"
    make_segment(video)
    make_audio_segment(audio)
    await log_segment(app, hid, video, participant_id=signers["judge"].participant_id)
    await log_segment(app, hid, audio, kind="audio", participant_id=signers["judge"].participant_id)
    for index, (role, text) in enumerate(
        [("judge", "现在开庭。"), ("plaintiff", "I ask for payment of 50,000 yuan."),
         ("defendant", "被告不同意原告的诉讼请求。")]
    ):  # fmt: skip
        reply = await clerk.call("transcript_add", {
            "speaker_participant_id": signers[role].participant_id, "text": text,
            "media_offset_ms": 1000 * index,
        })  # fmt: skip
        assert reply["ok"], reply
    assert (await clerk.call("transcript_lock", {}))["ok"]
    return SigningRoom(hid, app, settings, judge, clerk, sockets, signers, [video, audio])
