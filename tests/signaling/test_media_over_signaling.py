"""Media negotiated through the namespace: nothing before admission, flows after, mute works."""

from __future__ import annotations

from typing import Any

import pytest

from bench.synthetic import Clip, SyntheticParticipant, make_clip
from tests.support.sockets import SocketClient
from tests.support.waiting import until

pytestmark = pytest.mark.media


@pytest.fixture(scope="module")
def clip() -> Clip:
    return make_clip(4.0)


def _slot(slots: list[dict[str, Any]], publisher: int) -> dict[str, Any]:
    return next(s for s in slots if s["participant_id"] == publisher)


async def _offer(socket: SocketClient, peer: SyntheticParticipant) -> dict[str, Any]:
    return await socket.call("offer", {"sdp": await peer.offer()})


async def test_lobby_gets_nothing_admitted_gets_media_and_mute_stops_audio(
    courtroom: dict[str, Any], clip: Clip
) -> None:
    judge_socket = courtroom["open_socket"]()
    await judge_socket.connect()
    party_socket = courtroom["open_socket"](as_party="plaintiff")
    await party_socket.connect()
    judge_pid = courtroom["judge_pid"]
    party_pid = courtroom["parties"]["plaintiff"]["participant_id"]
    judge_peer = SyntheticParticipant("judge", clip, slots=3)
    party_peer = SyntheticParticipant("party", clip, slots=3)
    try:
        judge_reply = await _offer(judge_socket, judge_peer)
        assert judge_reply["ok"] is True
        await judge_peer.accept(judge_reply["sdp"])

        refused = await _offer(party_socket, party_peer)
        assert refused == {
            "ok": False,
            "error": {"code": "wrong_state", "message": "wait until the judge admits you",
                      "ref": "offer"},
        }  # fmt: skip
        assert not judge_reply["slots"], judge_reply

        await judge_socket.call("admit", {"participant_id": party_pid})
        await party_socket.wait_for("admitted")
        party_peer = SyntheticParticipant("party", clip, slots=3)
        party_reply = await _offer(party_socket, party_peer)
        assert party_reply["ok"] is True
        await party_peer.accept(party_reply["sdp"])
        judge_map = await judge_socket.wait_for(
            "track_map", lambda d: any(s["participant_id"] == party_pid for s in d["slots"])
        )
        party_video = _slot(judge_map["slots"], party_pid)["video_mid"]
        party_audio = _slot(judge_map["slots"], party_pid)["audio_mid"]
        judge_video_at_party = _slot(party_reply["slots"], judge_pid)["video_mid"]
        await until(
            lambda: (
                judge_peer.counter_for(party_video).frames_after_keyframe > 10
                and party_peer.counter_for(judge_video_at_party).frames_after_keyframe > 10
                and judge_peer.counter_for(party_audio).packets > 20
            ),
            timeout_s=15,
            what="media both ways after admission",
        )

        await judge_socket.call("mute", {"participant_id": party_pid, "muted": True})
        video = judge_peer.counter_for(party_video)
        start = video.packets
        await until(lambda: video.packets > start + 8, timeout_s=5, what="frames after mute")
        audio_after_mute = judge_peer.counter_for(party_audio).packets
        await until(lambda: video.packets > start + 25, timeout_s=5, what="more frames")
        assert judge_peer.counter_for(party_audio).packets == audio_after_mute
    finally:
        await judge_peer.close()
        await party_peer.close()
