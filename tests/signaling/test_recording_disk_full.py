"""A full disk under the live server: the judge is alerted within 5 s, the hearing goes on.

The recorder's files are opened through an injected faulty disk (``SwitchableDisk``) that
starts failing every write with ENOSPC in the middle of a hearing with two real synthetic
participants. Checked: the alert (and the ``failed`` state) reaches the judge's socket within
5 s, media keeps flowing between the participants, segments closed before the fault still
match the SHA-256 of their database rows and decode, and when the disk has room again the
recording resumes on its own with the gap on record.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bench.synthetic import Clip, make_clip
from hearing_server.settings import Settings
from hearing_server.web.keys import RECORDING_FILE_OPENER
from tests.conftest import running_app
from tests.recording.conftest import decode_errors
from tests.signaling.in_session import busiest, judge_and_party_in_session
from tests.support.clock import FakeClock
from tests.support.disk_faults import SwitchableDisk
from tests.support.waiting import until

pytestmark = [pytest.mark.media, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
ALERT_WITHIN_S = 5.0


@pytest.fixture
def disk() -> SwitchableDisk:
    return SwitchableDisk(errno.ENOSPC)


@pytest.fixture
async def server(
    settings: Settings, clock: FakeClock, disk: SwitchableDisk
) -> AsyncIterator[TestServer]:
    """The real app, 1 s segments, its recording files on the switchable disk."""
    short_segments = settings.replace(recording_segment_seconds=1)
    async with running_app(
        short_segments, clock, {RECORDING_FILE_OPENER: disk.open}
    ) as test_server:
        yield test_server


@pytest.fixture(scope="module")
def clip() -> Clip:
    return make_clip(4.0)


async def test_disk_full_alerts_the_judge_and_the_hearing_goes_on(
    clip: Clip, courtroom: dict[str, Any], settings: Settings, disk: SwitchableDisk
) -> None:
    async with judge_and_party_in_session(courtroom, clip) as hearing:
        api, hid, peers = hearing.api, hearing.hearing_id, hearing.peers
        judge_socket, party_pid = hearing.judge_socket, hearing.party_pid

        before: list[dict[str, Any]] = []

        async def closed_segments() -> list[dict[str, Any]]:
            listing = await api.get(f"/api/hearings/{hid}/recording")
            return list(listing.body["segments"])

        deadline = time.monotonic() + 20
        while len({s["track_id"] for s in before}) < 4 or len(before) < 6:
            assert time.monotonic() < deadline, f"no closed segments of every track: {before}"
            await asyncio.sleep(0.2)  # a bounded poll of the API (1 s segments)
            before = await closed_segments()

        disk.fill()
        filled_at = time.monotonic()
        alert = await judge_socket.wait_for(
            "recording_alert", lambda d: d["kind"] == "failed", timeout_s=ALERT_WITHIN_S
        )
        alert_latency_s = time.monotonic() - filled_at
        assert alert["errno"] == errno.ENOSPC
        await judge_socket.wait_for("recording", lambda d: d["state"] == "failed")
        # The hearing goes on: media keeps flowing both ways while nothing can be recorded.
        marks = [(busiest(p, "video"), busiest(p, "audio")) for p in peers]
        await until(
            lambda: all(busiest(p, "video") > v + 30 and busiest(p, "audio") > a + 100
                        for p, (v, a) in zip(peers, marks, strict=True)),
            timeout_s=15, what="media flowing during the disk failure",
        )  # fmt: skip
        root = settings.data_dir / "recordings"
        by_hash = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in root.glob(f"{hid}/*.mkv")}
        for segment in before:  # closed before the fault: untouched
            assert segment["sha256"] in by_hash, segment
            assert decode_errors(by_hash[segment["sha256"]]) == ""

        disk.free()
        freed_at = time.monotonic()
        await judge_socket.wait_for("recording_alert", lambda d: d["kind"] == "resumed",
                                    timeout_s=15)  # fmt: skip
        resume_latency_s = time.monotonic() - freed_at
        await judge_socket.wait_for("recording", lambda d: d["state"] == "recording")
        tracks = {(pid, kind) for pid in (courtroom["judge_pid"], party_pid)
                  for kind in ("audio", "video")}  # fmt: skip
        gaps: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while {(g["participant_id"], g["kind"]) for g in gaps} != tracks:
            assert time.monotonic() < deadline, f"not every track writes again: {gaps}"
            await asyncio.sleep(0.2)  # a bounded poll of the log
            events = (await api.get(f"/api/hearings/{hid}/events")).body["events"]
            gaps = [e["payload"] for e in events if e["kind"] == "recording.gap"
                    and e["payload"]["reason"] == "disk_failure"]  # fmt: skip
        closed = await api.post(f"/api/hearings/{hid}/transitions", {"action": "close"})
        assert closed.status == 200
        await judge_socket.wait_for("recording", lambda d: d["state"] == "stopped")
    print(json.dumps({"alert_latency_s": round(alert_latency_s, 3),
                      "resume_after_free_s": round(resume_latency_s, 3)}))  # fmt: skip

    log = (await api.get(f"/api/hearings/{hid}/events")).body
    assert log["intact"] is True
    events = [(e["kind"], e["payload"]) for e in log["events"]]
    failed = [p for k, p in events if k == "recording.failed"]
    assert failed and failed[0]["errno"] == errno.ENOSPC
    gaps = [p for k, p in events if k == "recording.gap" and p["reason"] == "disk_failure"]
    assert {(g["participant_id"], g["kind"]) for g in gaps} == tracks
    assert all(g["end_ms"] > g["start_ms"] for g in gaps)
    assert any(k == "recording.recovered_from_failure" for k, _p in events)
    after = await closed_segments()
    assert {s["id"] for s in before} <= {s["id"] for s in after}
    by_hash = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in root.glob(f"{hid}/*.mkv")}
    for segment in after:
        assert segment["sha256"] in by_hash, segment
        assert decode_errors(by_hash[segment["sha256"]]) == ""
    for gap in gaps:  # each track recorded again from the end of its gap
        track_id = f"{gap['participant_id']}-{gap['kind']}"
        assert any(s["track_id"] == track_id and s["start_ms"] >= gap["end_ms"] for s in after)
