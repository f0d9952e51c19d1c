"""A recording process killed mid-hearing: the next server start recovers it onto the record."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from hearing_server.app import create_app
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.store.eventlog import load_events, verify_hearing_log
from tests.recording.conftest import decode_errors
from tests.recording.killed_writer import save_clip
from tests.recording.media import make_clip
from tests.support.clock import FakeClock
from tests.support.waiting import until

pytestmark = [pytest.mark.media, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
REPO = Path(__file__).resolve().parents[2]


async def test_start_up_recovers_a_killed_recording(
    hearing_with_parties: dict[str, Any], settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    hid = hearing_with_parties["hearing_id"]
    hearing_dir = settings.data_dir / "recordings" / str(hid)
    clip_path = tmp_path / "clip.json"
    save_clip(make_clip(2.0), clip_path)
    started_epoch = time.time()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.recording.killed_writer", str(hearing_dir), str(clip_path),
        cwd=REPO, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None

    async def fed(seconds: int) -> None:
        assert child.stdout is not None
        while int((await child.stdout.readline()) or b"-1") < seconds:
            pass

    try:
        await asyncio.wait_for(fed(4), 60)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()

    # The writer ran at 4x real time; the restart comes after the fed media's wall-clock end,
    # so the crash leaves a gap (from the last recovered packet to the restart) on record.
    await until(lambda: time.time() > started_epoch + 6, timeout_s=10, what="the restart time")
    restarted = TestServer(create_app(settings, clock=clock), host="127.0.0.1", port=0)
    await restarted.start_server()  # start-up recovery runs in the app's lifetime
    await restarted.close()

    database = Database(settings.effective_database_url)
    try:
        async with database.read() as session:
            events = await load_events(session, hid)
            problems = await verify_hearing_log(session, hid)
    finally:
        await database.close()
    assert problems == []
    recovered = [e for e in events if e.kind == "recording.segment_recovered"]
    assert {('"kind":"audio"' in e.payload, '"kind":"video"' in e.payload) for e in recovered} == {
        (True, False),
        (False, True),
    }
    assert any(e.kind == "recording.gap" and '"reason":"crash"' in e.payload for e in events)
    for mkv in hearing_dir.glob("*.mkv"):
        assert decode_errors(mkv) == ""
    assert not list(hearing_dir.glob("*.partial"))
