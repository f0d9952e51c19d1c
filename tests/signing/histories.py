"""Genuine sealed bundles, made once per test module: a real server on 127.0.0.1 over SQLite,
a judge, a clerk and two parties who register keys, are confirmed and admitted, two real
recorded segments, a written and locked transcript, decisions, then ``build_bundle``.

The same steps as the ``signing_room`` fixture, run outside any test (``asyncio.run`` in a
module-scoped fixture) so that a parametrised tamper test reads one bundle instead of making
one per case. ``Story`` picks what happened before the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sqlmodel import delete

from hearing_server.services.bundle import build_bundle
from hearing_server.services.staff import create_staff
from hearing_server.settings import Settings
from hearing_server.store.models import RecordingSegment, StaffRole
from hearing_server.web.keys import CLOCK, DATABASE
from tests.conftest import PASSWORDS, running_app
from tests.signing.conftest import Signer, log_segment
from tests.signing.phones import PhoneKey, make_audio_segment, make_segment
from tests.support.api import ApiClient
from tests.support.clock import FakeClock
from tests.support.sockets import SocketClient

TEXTS = [("judge", "现在开庭。"), ("plaintiff", "I ask for payment of 50,000 yuan."),
         ("defendant", "被告不同意原告的诉讼请求。")]  # fmt: skip
COMPOSITE_SECONDS = 2.0


class Story(Enum):
    PLAIN = "plain"  # the defendant refuses, the rest sign; a composite video is included
    VOIDED = "voided"  # the plaintiff signs, the judge unlocks and relocks, the plaintiff refuses
    OMITTED = "omitted"  # a logged segment's row is gone before anyone signs


@dataclass(frozen=True)
class Genuine:
    bundle: Path
    seal_key: Path  # the court seal's private key, for the seal-key holder's forgeries
    data_dir: Path


async def record(root: Path, story: Story) -> Genuine:
    settings = Settings(
        data_dir=root / "data", database_url=f"sqlite+aiosqlite:///{root / 'data' / 'h.db'}"
    )
    clock = FakeClock()
    clients: list[ApiClient] = []
    sockets: list[SocketClient] = []

    def client() -> ApiClient:
        clients.append(ApiClient(str(server.make_url("/"))))
        return clients[-1]

    async with running_app(settings, clock) as server:
        app = server.app
        try:
            async with app[DATABASE].write() as session:
                for name, role in (("judge", StaffRole.JUDGE), ("clerk", StaffRole.CLERK)):
                    await create_staff(
                        session, username=name, display_name=name.title(), role=role,
                        password=PASSWORDS[name], now=clock.now(),
                    )  # fmt: skip
            staff: dict[str, ApiClient] = {}
            for name in ("judge", "clerk"):
                staff[name] = client()
                login = {"username": name, "password": PASSWORDS[name]}
                assert (await staff[name].post("/api/auth/login", login)).status == 200
            judge_api = staff["judge"]
            created = await judge_api.post("/api/hearings", {
                "case_number": "(2026)京0105民初123号", "title": "张三诉李四买卖合同纠纷",
                "scheduled_start": "2026-05-11T01:40:00.000Z", "clerk": "clerk",
            })  # fmt: skip
            assert created.status == 201, created.body
            hid = created.body["hearing"]["id"]
            links = {}
            for role, name in (("plaintiff", "张三"), ("defendant", "Li Si")):
                added = await judge_api.post(f"/api/hearings/{hid}/participants",
                                             {"role": role, "display_name": name})  # fmt: skip
                pid = added.body["participant"]["id"]
                issued = await judge_api.post(f"/api/hearings/{hid}/participants/{pid}/invitation")
                links[role] = issued.body["link"].rsplit("/", 1)[1]
            opened = {"action": "open_lobby"}
            assert (await judge_api.post(f"/api/hearings/{hid}/transitions", opened)).status == 200
            base = judge_api.base_url

            def socket(**kwargs: object) -> SocketClient:
                sockets.append(SocketClient(base, hearing_id=hid, **kwargs))  # type: ignore[arg-type]
                return sockets[-1]

            judge = socket(cookie=f"hs_staff={judge_api.cookie('hs_staff')}")
            clerk = socket(cookie=f"hs_staff={staff['clerk'].cookie('hs_staff')}")
            await judge.connect()
            await clerk.connect()
            signers: dict[str, Signer] = {}
            for name, api in staff.items():
                pid = (await api.get(f"/api/hearings/{hid}")).body["you"]["id"]
                signers[name] = Signer(name, pid, api, PhoneKey())
            party_sockets = {}
            for role, token in links.items():
                api = client()
                exchanged = await api.post("/api/party/exchange", {"token": token})
                api.bearer = exchanged.body["session_token"]
                signers[role] = Signer(role, exchanged.body["participant_id"], api, PhoneKey())
                party_sockets[role] = socket(token=api.bearer)
                await party_sockets[role].connect()
            for signer in signers.values():
                key = {"public_key": signer.key.spki_b64}
                assert (await signer.api.post(f"/api/hearings/{hid}/signer-key", key)).status == 201
            for role in links:
                pid = signers[role].participant_id
                assert (await judge.call("confirm_identity", {"participant_id": pid}))["ok"]
                assert (await judge.call("admit", {"participant_id": pid}))["ok"]
                await party_sockets[role].wait_for("admitted")
            folder = settings.data_dir / "recordings" / str(hid)
            make_segment(folder / "1-video-00001.mkv")
            make_audio_segment(folder / "1-audio-00001.mkv")
            judge_pid = signers["judge"].participant_id
            await log_segment(app, hid, folder / "1-video-00001.mkv", participant_id=judge_pid)
            await log_segment(app, hid, folder / "1-audio-00001.mkv", kind="audio",
                              participant_id=judge_pid)  # fmt: skip
            for index, (role, text) in enumerate(TEXTS):
                reply = await clerk.call("transcript_add", {
                    "speaker_participant_id": signers[role].participant_id, "text": text,
                    "media_offset_ms": 1000 * index,
                })  # fmt: skip
                assert reply["ok"], reply
            if story is Story.OMITTED:
                async with app[DATABASE].write() as session:
                    await session.exec(delete(RecordingSegment).where(  # type: ignore[call-overload]
                        RecordingSegment.path.endswith("1-audio-00001.mkv")))  # type: ignore[attr-defined]  # fmt: skip
            assert (await clerk.call("transcript_lock", {}))["ok"]
            if story is Story.VOIDED:
                assert (await signers["plaintiff"].sign(hid)).status == 201
                unlocked = await judge.call("transcript_unlock", {"reason": "补充记录"})
                assert unlocked["ok"], unlocked
                assert (await clerk.call("transcript_lock", {}))["ok"]
            refuser = "plaintiff" if story is Story.VOIDED else "defendant"
            refused = await signers[refuser].refuse(hid, "第三条记录与我的陈述不符 / entry 3")
            assert refused.status == 201, refused.body
            for role in ("plaintiff", "defendant", "clerk", "judge"):
                if role != refuser:
                    reply = await signers[role].sign(hid)
                    assert reply.status == 201, reply.body
            composite = None
            if story is Story.PLAIN:
                composite = root / "hearing.mp4"
                make_segment(composite, COMPOSITE_SECONDS, codec="libx264")
            out = root / f"bundle-{story.value}.zip"
            await build_bundle(app[DATABASE], settings, hid, out, clock=app[CLOCK],
                               composite=composite)  # fmt: skip
        finally:
            for open_socket in sockets:
                await open_socket.close()
            for open_client in clients:
                await open_client.close()
    return Genuine(out, settings.data_dir / "seal" / "seal-ed25519.pem", settings.data_dir)
