"""Real VP8/Opus frames fed to the recorder on a simulated arrival clock."""

from __future__ import annotations

import time
from collections.abc import Iterator

from bench.synthetic import FPS, Clip
from recording.model import EncodedFrame, TrackKey
from recording.recorder import Recorder


def frames(
    clip: Clip,
    participant_id: int,
    *,
    seconds: float,
    start_s: float,
    keyframe_wanted: set[TrackKey],
) -> Iterator[EncodedFrame]:
    """Interleaved audio (20 ms) and video (1/15 s) frames, as a publisher would send them."""
    video_key = TrackKey(participant_id, "video")
    audio_key = TrackKey(participant_id, "audio")
    audio_count = int(seconds * 50)
    video_count = int(seconds * FPS)
    events: list[tuple[float, str, int]] = [(i / 50, "audio", i) for i in range(audio_count)]
    events += [(i / FPS, "video", i) for i in range(video_count)]
    for at, kind, index in sorted(events):
        if kind == "audio":
            yield EncodedFrame(audio_key, clip.audio[index % len(clip.audio)], index * 960,
                               48_000, True, start_s + at)  # fmt: skip
            continue
        position = 0 if index == 0 else 1 + (index - 1) % (len(clip.video) - 1)
        intra = index == 0 or video_key in keyframe_wanted
        keyframe_wanted.discard(video_key)
        data = clip.video_intra[position] if intra else clip.video[position]
        yield EncodedFrame(video_key, data, index * 6000, 90_000, intra, start_s + at)


def drain(recorder: Recorder, timeout_s: float = 10) -> None:
    """Wait until the writer thread has taken every queued frame (the test feeder's pacing)."""
    deadline = time.monotonic() + timeout_s
    while recorder._queue.qsize():
        if time.monotonic() > deadline:
            raise AssertionError("the recorder did not keep up")
        time.sleep(0.0005)
