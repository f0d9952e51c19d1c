"""SIGKILL the recording process; start-up recovery keeps all but about the last second."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recording import GapReason, recover_hearing
from tests.recording.conftest import decode_errors, ffprobe, probe_duration_s
from tests.recording.killed_writer import save_clip
from tests.recording.media import Clip

pytestmark = pytest.mark.media
REPO = Path(__file__).resolve().parents[2]


def test_sigkill_then_recover(tmp_path: Path, clip: Clip) -> None:
    fed_s = 6
    hearing_dir = tmp_path / "h-kill"
    clip_path = tmp_path / "clip.json"
    save_clip(clip, clip_path)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.recording.killed_writer", str(hearing_dir), str(clip_path)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    deadline = time.monotonic() + 60
    try:
        for line in child.stdout:  # ends when the child dies
            if int(line) >= fed_s or time.monotonic() > deadline:
                break
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert sorted(p.name for p in hearing_dir.glob("*.partial")) == [
        "p9-audio-00001.mkv.partial",
        "p9-video-00001.mkv.partial",
    ]

    # The media was fed at 4x real time; the server comes back a minute later.
    restart_epoch = time.time() + 60
    report = recover_hearing(hearing_dir, now_epoch_s=restart_epoch)
    assert report.quarantined == []
    assert {s.kind.value for s in report.segments} == {"audio", "video"}
    for segment in report.segments:
        assert segment.recovered
        assert decode_errors(segment.path) == ""
        assert ffprobe(segment.path)["streams"][0]["codec_name"] in ("vp8", "opus")
        assert probe_duration_s(segment.path) >= fed_s - 2, segment
        assert segment.duration_ms >= (fed_s - 2) * 1000
        sidecar = json.loads(segment.path.with_name(segment.path.name + ".json").read_text())
        assert sidecar["recovered"] is True and sidecar["sha256"] == segment.sha256
    assert {g.reason for g in report.gaps} == {GapReason.CRASH}
    assert {g.track_id for g in report.gaps} == {"p9-cam", "p9-mic"}
    by_track = {s.track_id: s for s in report.segments}
    for gap in report.gaps:
        assert gap.start_ms == by_track[gap.track_id].timeline_end_ms
        assert gap.end_ms > 60_000
    assert not list(hearing_dir.glob("*.partial"))
    assert not list(hearing_dir.glob("*.open.json"))
    # Idempotent: a second run finds nothing to do.
    again = recover_hearing(hearing_dir, now_epoch_s=restart_epoch)
    assert (again.segments, again.quarantined) == ([], [])


def test_unreadable_leftovers_are_quarantined_with_a_reason(tmp_path: Path) -> None:
    garbage = tmp_path / "p1-video-00003.mkv.partial"
    garbage.write_bytes(os.urandom(4096))
    (tmp_path / "p1-video-00003.mkv.open.json").write_text(
        json.dumps({
            "format": 1, "hearing_id": "h", "participant_id": "p1", "track_id": "t",
            "kind": "video", "codec": "vp8", "seq": 3, "timeline_start_ms": 0,
            "origin_epoch_s": 0.0, "width": 640, "height": 360,
        })
    )  # fmt: skip
    no_metadata = tmp_path / "p1-audio-00001.mkv.partial"
    no_metadata.write_bytes(b"\x1a\x45\xdf\xa3")
    report = recover_hearing(tmp_path)
    assert report.segments == []
    reasons = {q.original.name: q.reason for q in report.quarantined}
    assert set(reasons) == {garbage.name, no_metadata.name}
    assert "metadata" in reasons[no_metadata.name]
    for item in report.quarantined:
        assert item.moved_to.exists() and item.moved_to.parent.name == "quarantine"
    assert not list(tmp_path.glob("*.partial"))
