"""What the namespace asks of the media engine, seen through a recording ``MediaPort``.

The real engine is exercised in test_media_over_signaling.py; here the port records calls and
plays faults (a refused offer, a failed connection) so every wiring rule is checked quickly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from hearing_server.services.ports import FailedCallback, TrackMapCallback
from hearing_server.settings import Settings
from hearing_server.web.keys import COURTROOMS, MEDIA_FACTORY
from tests.conftest import running_app
from tests.support.api import ApiClient
from tests.support.clock import FakeClock
from tests.support.media_fakes import RecordingMedia, Track
from tests.support.sockets import SocketClient, member
from tests.support.waiting import until


@pytest.fixture
def engines() -> list[RecordingMedia]:
    return []


@pytest.fixture
async def server(
    settings: Settings, clock: FakeClock, engines: list[RecordingMedia]
) -> AsyncIterator[TestServer]:
    def factory(
        hearing_id: int, *, on_track_map: TrackMapCallback, on_failed: FailedCallback
    ) -> RecordingMedia:
        engines.append(RecordingMedia(hearing_id, on_track_map, on_failed))
        return engines[-1]

    settings = Settings(
        data_dir=settings.data_dir, database_url=settings.database_url,
        ice_servers=("stun:stun.court.test:3478", "turn:turn.court.test:3478"),
        turn_secret="coturn-secret", turn_ttl_seconds=600,
    )  # fmt: skip
    async with running_app(settings, clock, {MEDIA_FACTORY: factory}) as test_server:
        yield test_server
    assert engines[-1].calls[-1] == ("close",)  # every hearing's media closed on shutdown


async def _observer_token(room: dict[str, Any], new_client: Any) -> tuple[int, str]:
    judge: ApiClient = room["judge"]
    hid = room["hearing_id"]
    added = await judge.post(
        f"/api/hearings/{hid}/participants", {"role": "observer", "display_name": "Press"}
    )
    pid = added.body["participant"]["id"]
    package = (await judge.post(f"/api/hearings/{hid}/participants/{pid}/invitation")).body
    exchanged = await new_client().post(
        "/api/party/exchange", {"token": package["link"].rsplit("/", 1)[1]}
    )
    return pid, exchanged.body["session_token"]


async def test_media_follows_admission_roles_and_judge_acts(
    courtroom: dict[str, Any],
    engines: list[RecordingMedia],
    new_client: Any,
    clock: FakeClock,
    app: web.Application,
) -> None:
    judge = courtroom["open_socket"]()
    await judge.connect()
    party = courtroom["open_socket"](as_party="plaintiff")
    await party.connect()
    jid, pid = courtroom["judge_pid"], courtroom["parties"]["plaintiff"]["participant_id"]
    media = engines[0]

    joined = await party.call("join")
    stun, turn = joined["ice_servers"]
    assert stun == {"urls": ["stun:stun.court.test:3478"]}
    assert turn["username"] == f"{int(clock.now().timestamp()) + 600}:{pid}"

    refused = await party.call("offer", {"sdp": "v=0"})
    assert refused["error"]["code"] == "wrong_state"
    assert media.calls == []  # the lobby is never attached

    judge_offer = await judge.call("offer", {"sdp": "v=0 judge"})
    assert judge_offer == {"ok": True, "sdp": f"answer for {jid}", "slots": [], "tracks": {}}
    assert (await judge.wait_for("answer")) == {"sdp": f"answer for {jid}"}
    await judge.call("admit", {"participant_id": pid})
    await party.wait_for("admitted")
    party_offer = await party.call("offer", {"sdp": "v=0 party"})
    assert party_offer["slots"] == [{"participant_id": jid, "audio_mid": "0a", "video_mid": "0v"}]
    assert party_offer["tracks"]["0v"] == {"participant_id": jid, "kind": "video"}
    assert media.calls == [("attach", jid, True, True), ("audio_only", jid, False),
                           ("attach", pid, True, True), ("audio_only", pid, False)]  # fmt: skip

    bad = await party.call("offer", {"sdp": "refuse me"})
    assert bad["error"] == {"code": "bad_sdp", "message": "the offer has no VP8", "ref": "offer"}
    assert (await party.wait_for("error"))["code"] == "bad_sdp"

    media.on_track_map(jid, media.track_map(jid))
    shown = await judge.wait_for("track_map")
    assert shown["slots"] == [{"participant_id": pid, "audio_mid": "0a", "video_mid": "0v"}]
    media.on_failed(pid)
    await party.wait_for("media_failed")
    assert "media_failed" not in judge.events()

    media.calls.clear()
    await judge.call("mute", {"participant_id": pid, "muted": True})
    await party.call("set_audio_only", {"participant_id": pid, "audio_only": True})
    await judge.call("remove", {"participant_id": pid})
    await party.wait_for("removed")
    assert media.calls == [("muted", pid, True), ("audio_only", pid, True), ("detach", pid)]

    observer_id, token = await _observer_token(courtroom, new_client)
    observer = SocketClient(judge.base_url, courtroom["hearing_id"], token=token)
    try:
        await observer.connect()
        await judge.wait_for("room", lambda s: member(s, observer_id).get("status") == "lobby")
        await judge.call("admit", {"participant_id": observer_id})
        assert (await observer.call("offer", {"sdp": "v=0 observer"}))["ok"] is True
        assert media.calls[-2] == ("attach", observer_id, False, True)  # receive-only
        media.calls.clear()
        await observer.close()
        await judge.wait_for("room", lambda s: member(s, observer_id)["connected"] is False)
        assert media.calls == []  # media is kept through the grace period
        clock.advance(seconds=60)
        assert await app[COURTROOMS].sweep_once() == [(courtroom["hearing_id"], observer_id)]
        assert media.calls == [("detach", observer_id)]
    finally:
        await observer.close()


async def test_the_recorder_taps_frames_and_asks_keyframes_through_the_port(
    courtroom: dict[str, Any], engines: list[RecordingMedia]
) -> None:
    judge = courtroom["open_socket"]()
    await judge.connect()
    api: ApiClient = courtroom["judge"]
    hid, pid = courtroom["hearing_id"], courtroom["parties"]["plaintiff"]["participant_id"]
    media = engines[0]
    assert media.tap is None
    assert (await api.post(f"/api/hearings/{hid}/transitions", {"action": "start"})).status == 200
    await judge.wait_for("recording", lambda d: d["state"] == "recording")
    assert media.tap is not None
    # A video frame that is not a keyframe: the recorder cannot start a segment with it.
    media.tap(Track("0v", "video", pid), b"\x01\x00\x00", 3000, False)
    await until(lambda: bool(media.keyframes_asked), timeout_s=10, what="a keyframe request")
    assert media.keyframes_asked[0] == (pid, "video")
    assert (await api.post(f"/api/hearings/{hid}/transitions", {"action": "close"})).status == 200
    await judge.wait_for("recording", lambda d: d["state"] == "stopped")
    assert media.tap is None
