"""The live hearing is recorded while in session: segments decode, and the log holds them."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.synthetic import Clip, SyntheticParticipant, make_clip
from hearing_server.settings import Settings
from tests.signaling.in_session import busiest, judge_and_party_in_session
from tests.support.waiting import until

pytestmark = [pytest.mark.media, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture(scope="module")
def clip() -> Clip:
    return make_clip(4.0)


async def more_video(peers: list[SyntheticParticipant], frames: int, what: str) -> None:
    marks = [busiest(p, "video") for p in peers]
    await until(
        lambda: all(busiest(p, "video") > m + frames for p, m in zip(peers, marks, strict=True)),
        timeout_s=30, what=what,
    )  # fmt: skip


def _decode_errors(path: Path) -> str:
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=120, check=False,
    ).stderr  # fmt: skip


async def test_in_session_is_recorded_and_logged(
    courtroom: dict[str, Any], clip: Clip, settings: Settings
) -> None:
    async with judge_and_party_in_session(courtroom, clip) as hearing:
        api, hid, peers = hearing.api, hearing.hearing_id, hearing.peers
        judge_socket, party_pid = hearing.judge_socket, hearing.party_pid
        await more_video(peers, 45, "three seconds of recorded video")
        paused = await judge_socket.call("recording_pause", {"reason": "non_public_evidence"})
        assert paused["recording"]["state"] == "paused"
        await more_video(peers, 30, "two seconds of video while paused")
        resumed = await judge_socket.call("recording_resume")
        assert resumed["recording"]["state"] == "recording"
        await more_video(peers, 45, "three more seconds of recorded video")
        closed = await api.post(f"/api/hearings/{hid}/transitions", {"action": "close"})
        assert closed.status == 200
        await judge_socket.wait_for("recording", lambda d: d["active"] is False)
    log = (await api.get(f"/api/hearings/{hid}/events")).body
    assert log["intact"] is True
    kinds = [e["kind"] for e in log["events"]]
    assert "recording.started" in kinds
    assert "recording.stopped" in kinds
    assert kinds.index("recording.paused") < kinds.index("recording.resumed")
    pauses = [e["payload"] for e in log["events"] if e["kind"] == "recording.paused"]
    assert pauses == [{"reason": "non_public_evidence"}]
    segments = [e["payload"] for e in log["events"] if e["kind"] == "recording.segment_closed"]
    recorded = {(s["participant_id"], s["kind"]) for s in segments}
    assert recorded == {(courtroom["judge_pid"], "video"), (courtroom["judge_pid"], "audio"),
                        (party_pid, "video"), (party_pid, "audio")}  # fmt: skip
    directory = settings.data_dir / "recordings" / str(hid)
    for segment in segments:
        path = directory / segment["file"]
        assert path.stat().st_size == segment["size_bytes"]
        assert segment["duration_ms"] >= 1500
        assert _decode_errors(path) == ""

    # The same segments are database rows (one per log event), served to the judge.
    listing = (await api.get(f"/api/hearings/{hid}/recording")).body
    assert listing["state"] == "stopped"
    rows = {row["id"]: row for row in listing["segments"]}
    assert sorted(rows) == sorted(s["segment_id"] for s in segments)
    for segment in segments:
        row = rows[segment["segment_id"]]
        assert (row["sha256"], row["size"], row["duration_ms"], row["kind"]) == (
            segment["sha256"],
            segment["size_bytes"],
            segment["duration_ms"],
            segment["kind"],
        )
        assert (row["start_ms"], row["end_ms"]) == (
            segment["timeline_start_ms"], segment["timeline_end_ms"])  # fmt: skip
        assert row["participant_id"] == segment["participant_id"]
        assert row["recovered"] is False
    video = next(row for row in rows.values() if row["kind"] == "video")
    async with api.session.get(api.base_url + video["url"]) as served:
        assert served.headers["Content-Type"] == "video/webm"
        assert hashlib.sha256(await served.read()).hexdigest() == video["sha256"]

    # The pause is a hole in every track's rows, and a logged gap with its reason.
    gaps = [e["payload"] for e in log["events"] if e["kind"] == "recording.gap"]
    paused_gaps = {(g["participant_id"], g["kind"]): g for g in gaps if g["reason"] == "paused"}
    assert set(paused_gaps) == recorded
    for (pid, kind), gap in paused_gaps.items():
        assert gap["detail"] == "non_public_evidence"
        spans = sorted((r["start_ms"], r["end_ms"]) for r in rows.values()
                       if (r["participant_id"], r["kind"]) == (pid, kind))  # fmt: skip
        assert len(spans) == 2, spans
        (_, first_end), (second_start, _) = spans
        assert second_start - first_end >= 1500, spans  # paused for >= 2 s of media
        assert gap["start_ms"] <= first_end + 100 and gap["end_ms"] >= second_start - 100
