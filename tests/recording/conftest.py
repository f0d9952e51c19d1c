"""Shared media for the recording tests: real VP8/Opus packets and the independent checkers."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from recording import ClosedSegment, GapRecorded, HearingRecorder, RecorderConfig, RecorderEvent
from recording.records import RecordingGap
from recording.segment_writer import FileOpener, open_exclusive
from tests.recording.media import Clip, make_clip


@pytest.fixture(scope="session")
def clip() -> Clip:
    return make_clip(4.0)


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return dict(json.loads(out))


def decode_errors(path: Path) -> str:
    """What ``ffmpeg -v error -i F -f null -`` prints: nothing for a clean file."""
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=120, check=False,
    ).stderr  # fmt: skip


def probe_duration_s(path: Path) -> float:
    return float(ffprobe(path)["format"]["duration"])


@dataclass
class Outputs:
    """What a recorder reported, collected on its writer thread."""

    segments: list[ClosedSegment] = field(default_factory=list)
    events: list[RecorderEvent] = field(default_factory=list)
    failed: threading.Event = field(default_factory=threading.Event)
    resumed: threading.Event = field(default_factory=threading.Event)

    def on_segment(self, segment: ClosedSegment) -> None:
        self.segments.append(segment)

    def on_event(self, event: RecorderEvent) -> None:
        self.events.append(event)
        kind = type(event).__name__
        if kind == "RecorderFailed":
            self.failed.set()
        elif kind == "RecorderResumed":
            self.resumed.set()

    def gaps(self) -> list[RecordingGap]:
        return [event.gap for event in self.events if isinstance(event, GapRecorded)]

    def of_track(self, track_id: str) -> list[ClosedSegment]:
        return sorted((s for s in self.segments if s.track_id == track_id), key=lambda s: s.seq)


def make_recorder(
    directory: Path,
    outputs: Outputs,
    *,
    opener: FileOpener = open_exclusive,
    clock: Callable[[], float] = time.monotonic,
    **options: Any,
) -> HearingRecorder:
    config = RecorderConfig(
        hearing_id="h-1",
        hearing_dir=directory,
        origin_monotonic_s=0.0,
        origin_epoch_s=1_800_000_000.0,
        **{"segment_s": 2.0, "queue_frames": 10_000, **options},
    )
    return HearingRecorder(
        config, on_segment=outputs.on_segment, on_event=outputs.on_event, opener=opener, clock=clock
    )
