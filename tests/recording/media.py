"""Real VP8 and Opus packets, encoded once with PyAV, and a feeder that plays them as tracks."""

from __future__ import annotations

import array
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av

from recording.records import EncodedFrame, TrackKind

FPS = 15
WIDTH, HEIGHT = 640, 360
#: Starts every track's RTP clock just before the 32-bit wrap, so every test crosses it.
RTP_NEAR_WRAP = (1 << 32) - 90_000


@dataclass(frozen=True)
class Clip:
    video: list[tuple[bytes, bool]]  # (VP8 frame, keyframe), 1/FPS apart, starts on a keyframe
    audio: list[bytes]  # Opus packets of 20 ms


def make_clip(seconds: float = 4.0, keyframe_every: int = FPS) -> Clip:
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = Fraction(1, FPS)
    encoder.framerate = Fraction(FPS)
    encoder.bit_rate = 600_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "g": str(keyframe_every)}
    video: list[tuple[bytes, bool]] = []
    for index in range(round(seconds * FPS)):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        luma = bytearray(frame.planes[0].buffer_size)
        stride = frame.planes[0].line_size
        column = (index * 12) % (WIDTH - 48)
        for row in range(HEIGHT):
            luma[row * stride + column : row * stride + column + 48] = b"\xf0" * 48
        frame.planes[0].update(bytes(luma))
        frame.planes[1].update(bytes([(index * 7) % 256]) * frame.planes[1].buffer_size)
        frame.planes[2].update(bytes([128]) * frame.planes[2].buffer_size)
        frame.pts = index
        video += [(bytes(packet), packet.is_keyframe) for packet in encoder.encode(frame)]
    video += [(bytes(packet), packet.is_keyframe) for packet in encoder.encode(None)]
    assert video[0][1], "the clip must start on a keyframe"

    audio_encoder = av.CodecContext.create("libopus", "w")
    audio_encoder.sample_rate = 48_000
    audio_encoder.layout = "mono"
    audio_encoder.format = "s16"
    audio_encoder.time_base = Fraction(1, 48_000)
    audio: list[bytes] = []
    for index in range(round(seconds * 50)):
        samples = array.array(
            "h",
            (
                int(6000 * math.sin(2 * math.pi * 440 * (n + index * 960) / 48_000))
                for n in range(960)
            ),
        )
        chunk = av.AudioFrame(format="s16", layout="mono", samples=960)
        chunk.sample_rate = 48_000
        chunk.pts = index * 960
        chunk.planes[0].update(samples.tobytes())
        audio += [bytes(packet) for packet in audio_encoder.encode(chunk)]
    return Clip(video, audio)


def play(
    clip: Clip,
    participant_id: str,
    *,
    seconds: float,
    start_s: float,
    rtp_start: int = RTP_NEAR_WRAP,
) -> Iterator[EncodedFrame]:
    """One participant's audio (20 ms) and video (1/FPS s) frames in arrival order.

    The clip loops (it starts on a keyframe, so the loop point decodes); ``arrival_s`` is a
    fake monotonic time starting at ``start_s``; RTP timestamps wrap at 2**32.
    """
    events = [(i / 50, 0, i) for i in range(round(seconds * 50))]
    events += [(i / FPS, 1, i) for i in range(round(seconds * FPS))]
    for at, is_video, index in sorted(events):
        if is_video:
            data, keyframe = clip.video[index % len(clip.video)]
            yield EncodedFrame(
                participant_id=participant_id,
                track_id=f"{participant_id}-cam",
                kind=TrackKind.VIDEO,
                codec="vp8",
                data=data,
                rtp_timestamp=(rtp_start + index * (90_000 // FPS)) % (1 << 32),
                clock_rate=90_000,
                keyframe=keyframe,
                arrival_s=start_s + at,
            )
        else:
            yield EncodedFrame(
                participant_id=participant_id,
                track_id=f"{participant_id}-mic",
                kind=TrackKind.AUDIO,
                codec="opus",
                data=clip.audio[index % len(clip.audio)],
                rtp_timestamp=(rtp_start + index * 960) % (1 << 32),
                clock_rate=48_000,
                keyframe=True,
                arrival_s=start_s + at,
            )
