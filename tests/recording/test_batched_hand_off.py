"""Frames handed to the writer in batches (what the live recording does) are all recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from recording import EncodedFrame
from recording.inbox import Inbox, QueuedFrame
from tests.recording.conftest import Outputs, decode_errors, make_recorder, probe_duration_s
from tests.recording.media import Clip, play

pytestmark = pytest.mark.media


def test_batches_record_like_single_frames(tmp_path: Path, clip: Clip) -> None:
    outputs = Outputs()
    recorder = make_recorder(tmp_path, outputs, segment_s=60.0)
    recorder.start()
    frames = list(play(clip, "p3", seconds=3.0, start_s=0.0))
    for start in range(0, len(frames), 13):
        assert recorder.submit_many(frames[start : start + 13]) == len(frames[start : start + 13])
    assert recorder.submit_many([]) == 0
    assert recorder.close(timeout_s=30)
    assert recorder.stats.frames_written == len(frames)
    for track_id in ("p3-cam", "p3-mic"):
        [segment] = outputs.of_track(track_id)
        assert decode_errors(segment.path) == ""
        assert probe_duration_s(segment.path) == pytest.approx(3.0, abs=0.1)


def test_a_full_inbox_takes_what_fits_and_counts_the_rest(clip: Clip) -> None:
    frames: list[EncodedFrame] = list(play(clip, "p3", seconds=1.0, start_s=0.0))[:6]
    inbox = Inbox(capacity_frames=4)
    assert inbox.offer_many(frames) == 4
    assert inbox.dropped_total == 2
    taken = [inbox.take(0) for _ in range(4)]
    assert [t.frame for t in taken if isinstance(t, QueuedFrame)] == frames[:4]
    assert inbox.offer_many(frames[5:]) == 1
    later = inbox.take(0)
    assert isinstance(later, QueuedFrame)
    # the frames of its track dropped before it (4 and 5 did not fit)
    assert later.dropped_before == sum(f.track_id == frames[5].track_id for f in frames[4:6])
