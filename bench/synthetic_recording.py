"""A hearing's recording made offline: real VP8/Opus packets written through ``HearingRecorder``.

The packets are encoded once with PyAV (a moving picture per participant, a tone) and fed to
the recorder with made-up arrival times, as fast as the writer takes them, so minutes of
hearing are recorded in seconds. Participants may join late, leave early and be paused
(``pause`` reasons as the judge gives them). Used by ``bench.export`` and the export tests.
"""

from __future__ import annotations

import array
import fractions
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from recording import ClosedSegment, HearingRecorder, RecorderConfig, RecorderEvent
from recording.records import EncodedFrame, TrackKind

FPS = 15
WIDTH, HEIGHT = 640, 360
ORIGIN_EPOCH_S = 1_778_463_000.0  # 2026-05-11 01:30:00 UTC = 09:30 in Beijing


@dataclass(frozen=True)
class Clip:
    video: list[tuple[bytes, bool]]  # (VP8 frame, keyframe), a keyframe every second
    audio: list[bytes]  # 20 ms Opus packets


def make_clip(seconds: float = 4.0, *, shade: int = 0, tone_hz: float = 440.0) -> Clip:
    """A moving bar on a tinted background, and a quiet tone (``tone_hz`` 0: silence)."""
    encoder: Any = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = fractions.Fraction(1, FPS)
    encoder.bit_rate = 600_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "g": str(FPS),
                       "lag-in-frames": "0"}  # fmt: skip
    video: list[tuple[bytes, bool]] = []
    frames = round(seconds * FPS)
    for index in range(frames):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        luma = bytearray([60 + shade % 120]) * frame.planes[0].buffer_size
        stride = frame.planes[0].line_size
        column = (index * 12) % (WIDTH - 48)
        for row in range(HEIGHT):
            luma[row * stride + column : row * stride + column + 48] = b"\xf0" * 48
        frame.planes[0].update(bytes(luma))
        frame.planes[1].update(bytes([(shade * 37) % 256]) * frame.planes[1].buffer_size)
        frame.planes[2].update(bytes([128]) * frame.planes[2].buffer_size)
        frame.pts = index
        video += [(bytes(p), p.is_keyframe) for p in encoder.encode(frame)]
    video += [(bytes(p), p.is_keyframe) for p in encoder.encode(None)]
    return Clip(video[:frames], encode_opus(tone_samples(seconds, tone_hz)))


def tone_samples(seconds: float, tone_hz: float, amplitude: int = 6000) -> array.array[int]:
    count = round(seconds * 48_000)
    if tone_hz <= 0:
        return array.array("h", bytes(2 * count))
    step = 2 * math.pi * tone_hz / 48_000
    return array.array("h", (int(amplitude * math.sin(step * n)) for n in range(count)))


def encode_opus(mono: array.array[int]) -> list[bytes]:
    """20 ms Opus packets of 48 kHz mono samples (the length is cut to whole packets)."""
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48_000, "mono", "s16"
    encoder.time_base = fractions.Fraction(1, 48_000)
    packets: list[bytes] = []
    for index in range(len(mono) // 960):
        chunk = av.AudioFrame(format="s16", layout="mono", samples=960)
        chunk.sample_rate = 48_000
        chunk.pts = index * 960
        chunk.planes[0].update(mono[index * 960 : (index + 1) * 960].tobytes())
        packets += [bytes(p) for p in encoder.encode(chunk)]
    packets += [bytes(p) for p in encoder.encode(None)]
    return packets


@dataclass(frozen=True)
class Attendance:
    """One participant: from ``join_s`` to ``leave_s`` on the hearing timeline."""

    participant_id: str
    clip: Clip
    join_s: float
    leave_s: float
    video: bool = True


@dataclass
class RecordingResult:
    segments: list[ClosedSegment] = field(default_factory=list)
    events: list[RecorderEvent] = field(default_factory=list)
    seconds_taken: float = 0.0


def _frames(who: Attendance) -> Iterator[tuple[float, EncodedFrame]]:
    seconds = who.leave_s - who.join_s
    events = [(i / 50, 0, i) for i in range(round(seconds * 50))]
    if who.video:
        events += [(i / FPS, 1, i) for i in range(round(seconds * FPS))]
    for at, is_video, index in sorted(events):
        if is_video:
            data, keyframe = who.clip.video[index % len(who.clip.video)]
            kind, codec, rtp, rate = TrackKind.VIDEO, "vp8", index * (90_000 // FPS), 90_000
        else:
            data, keyframe = who.clip.audio[index % len(who.clip.audio)], True
            kind, codec, rtp, rate = TrackKind.AUDIO, "opus", index * 960, 48_000
        arrival = who.join_s + at
        yield arrival, EncodedFrame(
            participant_id=who.participant_id, track_id=f"{who.participant_id}-{kind.value}",
            kind=kind, codec=codec, data=data, rtp_timestamp=(12345 + rtp) % (1 << 32),
            clock_rate=rate, keyframe=keyframe, arrival_s=arrival,
        )  # fmt: skip


def record_hearing(
    directory: Path,
    people: Sequence[Attendance],
    *,
    hearing_id: str = "1",
    pauses: Sequence[tuple[float, float, str]] = (),
    segment_s: float = 60.0,
    origin_epoch_s: float = ORIGIN_EPOCH_S,
) -> RecordingResult:
    """Record the attendance through a real ``HearingRecorder``; pauses as (start, end, why)."""
    result = RecordingResult()
    lock = threading.Lock()

    def on_segment(segment: ClosedSegment) -> None:
        with lock:
            result.segments.append(segment)

    def on_event(event: RecorderEvent) -> None:
        with lock:
            result.events.append(event)

    config = RecorderConfig(
        hearing_id=hearing_id, hearing_dir=directory, origin_monotonic_s=0.0,
        origin_epoch_s=origin_epoch_s, segment_s=segment_s, queue_frames=4000,
    )  # fmt: skip
    recorder = HearingRecorder(config, on_segment=on_segment, on_event=on_event)
    started = time.perf_counter()
    recorder.start()
    merged = sorted((f for who in people for f in _frames(who)), key=lambda item: item[0])
    pending = sorted(pauses)
    paused_until: float | None = None
    for arrival, frame in merged:
        if paused_until is not None and arrival >= paused_until:
            recorder.resume()
            paused_until = None
        if pending and arrival >= pending[0][0]:
            _start, end, reason = pending.pop(0)
            recorder.pause(reason)
            paused_until = end
        if paused_until is not None:
            continue
        while recorder.queued_frames > 3000:
            time.sleep(0.005)  # back-pressure on the offline feed, not synchronisation
        recorder.submit(frame)
    if not recorder.close(timeout_s=120):
        raise RuntimeError("the recorder did not finish in time")
    result.seconds_taken = time.perf_counter() - started
    return result
