"""Benchmark of the recorder alone: CPU per second of media, per recorded track.

    python -m bench.record_core --participants 4 --seconds 15

Each participant publishes one VP8 track (640x360, 15 fps, ~600 kbps of noisy texture) and
one Opus track (20 ms packets), fed to one ``HearingRecorder`` at real-time rates from this
process's main thread, as the media layer would. Prints JSON: CPU seconds per wall second
of the whole process and of the writer thread alone, and per recorded track.
"""

from __future__ import annotations

import argparse
import array
import json
import math
import os
import random
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from recording import ClosedSegment, EncodedFrame, HearingRecorder, RecorderConfig, TrackKind

FPS = 15
WIDTH, HEIGHT = 640, 360


def encode_clip(seconds: float) -> tuple[list[tuple[bytes, bool]], list[bytes]]:
    rng = random.Random(7)
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = Fraction(1, FPS)
    encoder.framerate = Fraction(FPS)
    encoder.bit_rate = 600_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "g": str(FPS * 2)}
    texture = bytes(rng.randrange(256) for _ in range(WIDTH * HEIGHT * 2))
    video: list[tuple[bytes, bool]] = []
    for index in range(round(seconds * FPS)):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        offset = (index * 7 * WIDTH) % (WIDTH * HEIGHT)
        frame.planes[0].update(texture[offset : offset + frame.planes[0].buffer_size])
        frame.planes[1].update(bytes([128]) * frame.planes[1].buffer_size)
        frame.planes[2].update(bytes([128]) * frame.planes[2].buffer_size)
        frame.pts = index
        video += [(bytes(p), p.is_keyframe) for p in encoder.encode(frame)]
    audio_encoder = av.CodecContext.create("libopus", "w")
    audio_encoder.sample_rate = 48_000
    audio_encoder.layout = "mono"
    audio_encoder.format = "s16"
    audio: list[bytes] = []
    for index in range(round(seconds * 50)):
        chunk = av.AudioFrame(format="s16", layout="mono", samples=960)
        chunk.sample_rate = 48_000
        chunk.pts = index * 960
        tone = (int(5000 * math.sin(0.0576 * (n + index * 960))) for n in range(960))
        chunk.planes[0].update(array.array("h", tone).tobytes())
        audio += [bytes(p) for p in audio_encoder.encode(chunk)]
    return video, audio


def thread_cpu_s(native_id: int) -> float:
    with open(f"/proc/self/task/{native_id}/stat") as stat_file:
        fields = stat_file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(participants: int, seconds: float, directory: Path) -> dict[str, Any]:
    video, audio = encode_clip(2.0)
    segments: list[ClosedSegment] = []
    origin = time.monotonic()
    recorder = HearingRecorder(
        RecorderConfig(
            hearing_id="bench",
            hearing_dir=directory,
            origin_monotonic_s=origin,
            origin_epoch_s=time.time(),
            segment_s=10.0,
        ),
        on_segment=segments.append,
        on_event=lambda _event: None,
    )
    recorder.start()
    writer = next(t for t in threading.enumerate() if t.name == "recorder-bench")
    assert writer.native_id is not None
    schedule = sorted(
        [(i / FPS, p, "v", i) for p in range(participants) for i in range(round(seconds * FPS))]
        + [(i / 50, p, "a", i) for p in range(participants) for i in range(round(seconds * 50))]
    )
    cpu_start, writer_start, wall_start = time.process_time(), thread_cpu_s(writer.native_id), 0.0
    wall_start = time.monotonic()
    dropped = 0
    for at, participant, kind, index in schedule:
        delay = wall_start + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = time.monotonic()
        if kind == "v":
            data, keyframe = video[index % len(video)]
            frame = EncodedFrame(
                f"p{participant}", f"p{participant}-cam", TrackKind.VIDEO, "vp8", data,
                (index * 6000) % (1 << 32), 90_000, keyframe, now,
            )  # fmt: skip
        else:
            frame = EncodedFrame(
                f"p{participant}", f"p{participant}-mic", TrackKind.AUDIO, "opus",
                audio[index % len(audio)], (index * 960) % (1 << 32), 48_000, True, now,
            )  # fmt: skip
        dropped += not recorder.submit(frame)
    wall_s = time.monotonic() - wall_start
    process_cpu_s = time.process_time() - cpu_start
    writer_cpu_s = thread_cpu_s(writer.native_id) - writer_start
    recorder.close()
    tracks = participants * 2
    written = sum(s.size_bytes for s in segments)
    return {
        "participants": participants,
        "tracks": tracks,
        "seconds": round(wall_s, 2),
        "process_cpu_s_per_s": round(process_cpu_s / wall_s, 4),
        "writer_cpu_s_per_s": round(writer_cpu_s / wall_s, 4),
        "process_cpu_s_per_s_per_track": round(process_cpu_s / wall_s / tracks, 5),
        "writer_cpu_s_per_s_per_track": round(writer_cpu_s / wall_s / tracks, 5),
        "target_cpu_s_per_s_per_track": 0.005,
        "frames_dropped": dropped,
        "segments": len(segments),
        "recorded_mb": round(written / 2**20, 2),
        "video_kbps_per_track": round(sum(len(d) for d, _ in video) * 8 / 2.0 / 1000),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: temp)")
    args = parser.parse_args()
    if args.dir is not None:
        print(json.dumps(run(args.participants, args.seconds, args.dir / "bench")))
        return
    with tempfile.TemporaryDirectory() as scratch:
        print(json.dumps(run(args.participants, args.seconds, Path(scratch) / "bench")))


if __name__ == "__main__":
    main()
