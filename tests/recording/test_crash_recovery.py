"""SIGKILL the recording process mid-hearing: recovery keeps all but the last second or so."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from recording.recovery import recover
from tests.recording.conftest import decode_errors, ffprobe

pytestmark = pytest.mark.media

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from bench.synthetic import make_clip
    from recording.recorder import Recorder
    from tests.recording.feeding import frames

    clip = make_clip(2.0)
    wanted = set()
    recorder = Recorder(Path(sys.argv[1]), recording_start_s=0.0, on_segment=lambda s: None,
                        on_problem=lambda p: None, request_keyframe=wanted.add)
    recorder.start()
    fed_s = 0
    for frame in frames(clip, 9, seconds=60.0, start_s=0.0, keyframe_wanted=wanted):
        recorder.submit(frame)
        if frame.arrival_s >= fed_s + 1:
            fed_s += 1
            while recorder._queue.qsize():
                time.sleep(0.01)
            time.sleep(0.05)
            print(fed_s, flush=True)
        time.sleep(0.002)
    """
)


async def test_sigkill_then_recover(tmp_path: Path) -> None:
    seconds = 8
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(tmp_path), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None

    async def fed_enough() -> None:
        assert process.stdout is not None
        while True:
            line = await process.stdout.readline()
            if not line:
                raise AssertionError("the recording process ended early")
            if int(line) >= seconds:
                return

    try:
        await asyncio.wait_for(fed_enough(), 90)
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert list(tmp_path.glob("*.partial.mkv"))  # noqa: ASYNC240
    recovered, failed = recover(tmp_path)
    assert failed == []
    assert {s.track.kind for s in recovered} == {"audio", "video"}
    for segment in recovered:
        assert segment.recovered
        assert decode_errors(segment.path) == ""
        duration_s = float(ffprobe(segment.path)["format"]["duration"])
        assert duration_s >= seconds - 2, (segment.track, duration_s)
        assert segment.end_ms - segment.start_ms >= (seconds - 2) * 1000
    assert not list(tmp_path.glob("*.partial.mkv"))  # noqa: ASYNC240
