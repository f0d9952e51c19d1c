"""A hung disk: the recording writer falls behind, the judge is alerted, the hearing goes on.

The recorder's files go through a disk whose writes block (``StallingDisk``) and its inbox
holds only 40 frames, so a few hundred milliseconds of a stalled disk fill it. The judge's
socket must get ``recording_alert {kind: "behind"}`` within 5 s while media keeps flowing
between the participants; once the disk moves again the dropped stretch is logged as a
``queue_full`` gap.
"""

from __future__ import annotations

import asyncio
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
from tests.signaling.in_session import busiest, judge_and_party_in_session
from tests.support.clock import FakeClock
from tests.support.disk_faults import StallingDisk
from tests.support.waiting import until

pytestmark = [pytest.mark.media, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def disk() -> StallingDisk:
    return StallingDisk(max_stall_s=30)


@pytest.fixture
async def server(
    settings: Settings, clock: FakeClock, disk: StallingDisk
) -> AsyncIterator[TestServer]:
    small_queue = settings.replace(recording_queue_frames=40)
    async with running_app(small_queue, clock, {RECORDING_FILE_OPENER: disk.open}) as test_server:
        try:
            yield test_server
        finally:
            disk.release()  # never leave the writer thread blocked (before the server closes)


@pytest.fixture(scope="module")
def clip() -> Clip:
    return make_clip(4.0)


async def test_a_writer_behind_alerts_the_judge_and_the_gap_is_logged(
    clip: Clip, courtroom: dict[str, Any], disk: StallingDisk
) -> None:
    async with judge_and_party_in_session(courtroom, clip) as hearing:
        api, hid, peers = hearing.api, hearing.hearing_id, hearing.peers
        judge_socket = hearing.judge_socket
        try:
            disk.stall()
            stalled_at = time.monotonic()
            alert = await judge_socket.wait_for(
                "recording_alert", lambda d: d["kind"] == "behind", timeout_s=5
            )
            latency_s = time.monotonic() - stalled_at
            assert alert["dropped_frames"] > 0
            marks = [busiest(p, "video") for p in peers]
            await until(
                lambda: all(
                    busiest(p, "video") > m + 30 for p, m in zip(peers, marks, strict=True)
                ),
                timeout_s=15, what="media flowing while the disk hangs",
            )  # fmt: skip
            disk.release()
            gaps: list[dict[str, Any]] = []
            deadline = time.monotonic() + 20
            while not gaps:
                assert time.monotonic() < deadline, "no queue_full gap logged"
                await asyncio.sleep(0.2)  # a bounded poll of the log
                events = (await api.get(f"/api/hearings/{hid}/events")).body["events"]
                gaps = [e["payload"] for e in events if e["kind"] == "recording.gap"
                        and e["payload"]["reason"] == "queue_full"]  # fmt: skip
            closed = await api.post(f"/api/hearings/{hid}/transitions", {"action": "close"})
            assert closed.status == 200
            await judge_socket.wait_for(
                "recording", lambda d: d["state"] == "stopped", timeout_s=20
            )
        finally:
            disk.release()
    print(json.dumps({"behind_alert_latency_s": round(latency_s, 3),
                      "dropped_frames_first_alert": alert["dropped_frames"]}))  # fmt: skip
    assert all(g["end_ms"] > g["start_ms"] for g in gaps)
    log = (await api.get(f"/api/hearings/{hid}/events")).body
    assert log["intact"] is True
