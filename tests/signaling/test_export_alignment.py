"""Issue 4's alignment test, through the real server: two aiortc participants whose audio
carries tones at known wall-clock moments, the second joining 7 s after the first; in the
exported MP4's mixed audio every tone is within 100 ms of its true hearing time. The export
runs as a job (REST), its progress reaches the staff in the courtroom as ``export_progress``.
"""

from __future__ import annotations

import array
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import pytest

from bench.synthetic import Clip, ClipAudioTrack, SyntheticParticipant, make_clip
from bench.synthetic_recording import encode_opus
from hearing_server.settings import Settings
from tests.recording.conftest import decode_errors
from tests.support.api import ApiClient
from tests.support.waiting import until

pytestmark = [pytest.mark.media, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
CLIP_PACKETS = 200  # 4 s of 20 ms packets, looped
TONE_PACKETS = 15  # 300 ms
JOIN_DELAY_PACKETS = 350  # the second participant joins 7 s after the first
TOLERANCE_S = 0.100


def tone_clip(onset_packet: int, tone_hz: float) -> list[bytes]:
    """4 s of silence with one loud tone starting at ``onset_packet`` (20 ms packets)."""

    samples = array.array("h", bytes(2 * CLIP_PACKETS * 960))
    start = onset_packet * 960
    for n in range(TONE_PACKETS * 960):
        samples[start + n] = int(12000 * math.sin(2 * math.pi * tone_hz * n / 48_000))
    return encode_opus(samples)[:CLIP_PACKETS]


@dataclass
class ToneLog:
    onset_packet: int
    started_at: float = 0.0  # time.time() of the track's first packet: its media clock's zero
    sent_at: list[float] = field(default_factory=list)  # wall-clock moment of each tone onset


def log_tones(track: ClipAudioTrack, log: ToneLog) -> None:
    """Record each tone's true wall-clock moment: where the track's media clock (20 ms a packet
    from its first) puts its first packet, as a microphone's clock would; not when the event
    loop got round to sending it."""
    original = track.recv

    async def recv() -> Any:
        packet = await original()
        index = track.sent - 1
        if index == 0:
            log.started_at = time.time()
        if index % CLIP_PACKETS == log.onset_packet:
            log.sent_at.append(log.started_at + index * 0.020)
        return packet

    track.recv = recv  # type: ignore[method-assign]


def onsets(path: Path) -> list[float]:
    """Times (s) where the mixed audio's 10 ms loudness rises from silence over a threshold."""
    levels: list[tuple[float, float]] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            assert frame.time is not None
            left = array.array("f", bytes(frame.planes[0]))[: frame.samples]
            for offset in range(0, frame.samples - 479, 480):
                chunk = left[offset : offset + 480]
                levels.append((frame.time + offset / 48_000, max(abs(x) for x in chunk)))
    found, loud = [], False
    for at, level in levels:
        if level > 0.1 and not loud:
            found.append(at)
        loud = level > 0.05
    return found


async def test_tones_land_within_100_ms_of_their_hearing_time(
    courtroom: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    api: ApiClient = courtroom["judge"]
    hid = courtroom["hearing_id"]
    judge_socket = courtroom["open_socket"]()
    await judge_socket.connect()
    party_socket = courtroom["open_socket"](as_party="plaintiff")
    await party_socket.connect()
    await judge_socket.call(
        "admit", {"participant_id": courtroom["parties"]["plaintiff"]["participant_id"]}
    )
    await party_socket.wait_for("admitted")
    video: Clip = make_clip(1.0)
    logs = [ToneLog(onset_packet=125), ToneLog(onset_packet=50)]  # 2.5 s and 1.0 s into a loop
    peers = [
        SyntheticParticipant("judge", Clip(video.video, video.video_intra,
                                           tone_clip(125, 1000.0)), slots=2),
        SyntheticParticipant("party", Clip(video.video, video.video_intra,
                                           tone_clip(50, 700.0)), slots=2),
    ]  # fmt: skip
    for peer, log in zip(peers, logs, strict=True):
        assert peer.audio is not None
        log_tones(peer.audio, log)
    assert (await api.post(f"/api/hearings/{hid}/transitions", {"action": "start"})).status == 200
    await judge_socket.wait_for("recording", lambda d: d["active"] is True)
    first, second = peers[0].audio, peers[1].audio
    assert first is not None and second is not None
    try:
        for socket, peer in zip((judge_socket, party_socket), peers, strict=True):
            reply = await socket.call("offer", {"sdp": await peer.offer()})
            assert reply["ok"], reply
            await peer.accept(reply["sdp"])
            if peer is peers[0]:
                await until(lambda: first.sent >= JOIN_DELAY_PACKETS, timeout_s=30,
                            what="7 s of the first participant's audio")  # fmt: skip
        # Both have played a tone since the second joined, and 1 s more for it to be recorded.
        third_onset = 125 + 2 * CLIP_PACKETS
        await until(lambda: first.sent >= third_onset + 50 and second.sent >= 100,
                    timeout_s=30, what="tones from both and a second more")  # fmt: skip
        closed = await api.post(f"/api/hearings/{hid}/transitions", {"action": "close"})
        assert closed.status == 200
        await judge_socket.wait_for("recording", lambda d: d["active"] is False)
    finally:
        for peer in peers:
            await peer.close()

    started = await api.post(f"/api/hearings/{hid}/exports", {"kind": "video"})
    assert started.status == 202, started.body
    done = await judge_socket.wait_for(
        "export_progress", lambda d: d["id"] == started.body["id"] and d["state"] != "running",
        timeout_s=90,
    )  # fmt: skip
    assert done["state"] == "done", done
    assert "export_progress" not in party_socket.events()  # staff only
    async with api.session.get(f"{api.base_url}/api/hearings/{hid}/exports/{done['id']}/file") as r:
        assert r.status == 200
        mp4 = tmp_path / "hearing.mp4"
        mp4.write_bytes(await r.read())
    assert decode_errors(mp4) == ""

    directory = settings.data_dir / "recordings" / str(hid)
    origin = json.loads(next(directory.glob("*.mkv.json")).read_text())["origin_epoch_s"]
    duration = max(json.loads(p.read_text())["timeline_end_ms"] for p in directory.glob("*.json")
                   if p.name.endswith(".mkv.json")) / 1000  # fmt: skip
    expected = sorted(at - origin for log in logs for at in log.sent_at)
    expected = [t for t in expected if t + TONE_PACKETS * 0.02 < duration]
    found = onsets(mp4)
    assert len(expected) >= 4, (expected, logs)
    late_joiner = [at - origin for at in logs[1].sent_at]
    assert late_joiner and late_joiner[0] > 7.0, late_joiner  # its tone is among them
    for true_s in expected:
        nearest = min(found, key=lambda f: abs(f - true_s))
        assert abs(nearest - true_s) <= TOLERANCE_S, (true_s, found)
    assert len(found) == len(expected), (found, expected)
