"""Synthetic participants: real aiortc peers that publish a pre-encoded clip and count packets.

Nothing here encodes or decodes while running: the VP8 clip (640x360, 15 fps, ~600 kbps) and an
Opus tone are encoded once with PyAV, then sent as packets; received media is counted as
packets (the process runs with ``signaling.media.passthrough`` installed).
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy

from signaling.media import passthrough
from signaling.media.peer import preferred_codecs

FPS = 15
WIDTH, HEIGHT = 640, 360
AUDIO_FRAME_SAMPLES = 960  # 20 ms at 48 kHz


@dataclass(frozen=True)
class Clip:
    video: list[bytes]  # normal stream, one keyframe at the start
    video_intra: list[bytes]  # every frame as a keyframe, sent when a keyframe is asked for
    audio: list[bytes]


def _video_frame(index: int, texture: bytes) -> av.VideoFrame:
    """A textured picture scrolling by 4 rows a frame, with a moving bright bar."""
    frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
    offset = ((index * 4) % HEIGHT) * WIDTH
    luma = bytearray(texture[offset : offset + WIDTH * HEIGHT])
    bar = (index * 8) % (WIDTH - 40)
    for row in range(0, HEIGHT * WIDTH, WIDTH):
        luma[row + bar : row + bar + 40] = b"\xeb" * 40
    frame.planes[0].update(bytes(luma))
    for plane in frame.planes[1:]:
        plane.update(b"\x80" * (plane.line_size * plane.height))
    frame.pts = index
    return frame


def _encode_video(frames: int, gop: int, bit_rate: int) -> list[bytes]:
    codec: Any = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height = WIDTH, HEIGHT
    codec.pix_fmt = "yuv420p"
    codec.time_base = fractions.Fraction(1, FPS)
    codec.bit_rate = bit_rate
    codec.gop_size = gop
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = random.Random(7)
    texture = bytes(112 + rng.randrange(24) for _ in range(WIDTH * HEIGHT * 2))
    packets: list[bytes] = []
    for index in range(frames):
        packets.extend(bytes(p) for p in codec.encode(_video_frame(index, texture)))
    packets.extend(bytes(p) for p in codec.encode(None))
    return packets[:frames]


def _encode_audio(seconds: float) -> list[bytes]:
    codec: Any = av.CodecContext.create("libopus", "w")
    codec.sample_rate = 48_000
    codec.layout = "stereo"
    codec.format = "s16"
    codec.bit_rate = 48_000
    codec.time_base = fractions.Fraction(1, 48_000)
    # 400 Hz fits exactly 8 periods into one 20 ms frame, so one frame's samples repeat.
    tone = array.array(
        "h",
        (
            int(math.sin(2 * math.pi * 400 * (i // 2) / 48_000) * 8000)
            for i in range(AUDIO_FRAME_SAMPLES * 2)
        ),
    ).tobytes()
    packets: list[bytes] = []
    for index in range(int(seconds * 50)):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=AUDIO_FRAME_SAMPLES)
        frame.planes[0].update(tone)
        frame.sample_rate = 48_000
        frame.pts = index * AUDIO_FRAME_SAMPLES
        packets.extend(bytes(p) for p in codec.encode(frame))
    return packets


def make_clip(seconds: float = 4.0, *, video_bit_rate: int = 600_000) -> Clip:
    """A 640x360 15 fps VP8 clip (~600 kbps by default, like a phone) and an Opus tone."""
    frames = int(seconds * FPS)
    return Clip(
        video=_encode_video(frames, gop=frames * 10, bit_rate=video_bit_rate),
        video_intra=_encode_video(frames, gop=1, bit_rate=video_bit_rate),
        audio=_encode_audio(seconds),
    )


class _PacedTrack(MediaStreamTrack):
    def __init__(self, interval_s: float) -> None:
        super().__init__()
        self._interval = interval_s
        self._start: float | None = None
        self._index = 0

    async def _wait_turn(self) -> int:
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._index * self._interval
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the media clock, not synchronisation
        index = self._index
        self._index += 1
        return index

    @property
    def sent(self) -> int:
        """Frames (video) or packets (audio) handed to the sender so far."""
        return self._index


class ClipVideoTrack(_PacedTrack):
    kind = "video"

    def __init__(self, clip: Clip) -> None:
        super().__init__(1 / FPS)
        self.clip = clip
        self.keyframe_requested = False
        self.keyframes_sent = 0

    def request_keyframe(self) -> None:
        self.keyframe_requested = True

    async def recv(self) -> av.Packet[Any]:  # type: ignore[override]
        index = await self._wait_turn()
        # Loop over frames 1..n-1 after the first pass: no periodic keyframes, as from a
        # browser; a keyframe only comes when one is requested.
        count = len(self.clip.video)
        position = 0 if index == 0 else 1 + (index - 1) % (count - 1)
        intra = self.keyframe_requested or position == 0
        self.keyframe_requested = False
        data = self.clip.video_intra[position] if intra else self.clip.video[position]
        self.keyframes_sent += int(intra)
        packet = av.Packet(data)
        packet.pts = index * (90_000 // FPS)
        packet.time_base = fractions.Fraction(1, 90_000)
        return packet


class ClipAudioTrack(_PacedTrack):
    kind = "audio"

    def __init__(self, clip: Clip) -> None:
        super().__init__(AUDIO_FRAME_SAMPLES / 48_000)
        self.clip = clip

    async def recv(self) -> av.Packet[Any]:  # type: ignore[override]
        index = await self._wait_turn()
        packet = av.Packet(self.clip.audio[index % len(self.clip.audio)])
        packet.pts = index * AUDIO_FRAME_SAMPLES
        packet.time_base = fractions.Fraction(1, 48_000)
        return packet


@dataclass
class InboundCounter:
    kind: str
    packets: int = 0
    frames_after_keyframe: int = 0
    keyframes: int = 0
    first_at: float | None = None
    first_keyframe_at: float | None = None
    last_at: float | None = None
    max_gap_s: float = 0.0

    def reset_gap(self) -> None:
        self.max_gap_s = 0.0


@dataclass
class SyntheticParticipant:
    """A client: offers send-only audio+video (if publishing) and ``slots`` receive pairs."""

    name: str
    clip: Clip | None
    slots: int = 7
    pc: RTCPeerConnection = field(init=False)
    video: ClipVideoTrack | None = field(init=False, default=None)
    audio: ClipAudioTrack | None = field(init=False, default=None)
    inbound: dict[str, InboundCounter] = field(init=False, default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        passthrough.install()
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        if self.clip is not None:
            self.video = ClipVideoTrack(self.clip)
            self.audio = ClipAudioTrack(self.clip)
            for track in (self.audio, self.video):
                transceiver = self.pc.addTransceiver(track, direction="sendonly")
                transceiver.setCodecPreferences(preferred_codecs(track.kind))
            video_sender = self.pc.getTransceivers()[1].sender
            passthrough.forward_keyframe_requests(video_sender, self.video.request_keyframe)
        for _ in range(self.slots):
            for kind in ("audio", "video"):
                transceiver = self.pc.addTransceiver(kind, direction="recvonly")
                transceiver.setCodecPreferences(preferred_codecs(kind))
                passthrough.deliver_on_loop(transceiver.receiver)
                passthrough.route_rtx_by_ssrc(transceiver.receiver)

        @self.pc.on("track")
        def _track(track: MediaStreamTrack) -> None:
            mid = next(t.mid for t in self.pc.getTransceivers() if t.receiver.track is track)
            assert mid is not None
            counter = InboundCounter(track.kind)
            self.inbound[mid] = counter
            self._tasks.append(asyncio.create_task(self._count(track, counter)))

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        assert self.pc.localDescription is not None
        return str(self.pc.localDescription.sdp)

    async def accept(self, answer_sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    @staticmethod
    async def _count(track: MediaStreamTrack, counter: InboundCounter) -> None:
        try:
            while True:
                packet: Any = await track.recv()
                now = time.monotonic()
                counter.packets += 1
                if counter.last_at is not None:
                    counter.max_gap_s = max(counter.max_gap_s, now - counter.last_at)
                else:
                    counter.first_at = now
                counter.last_at = now
                if track.kind == "video" and packet.is_keyframe:
                    counter.keyframes += 1
                    if counter.first_keyframe_at is None:
                        counter.first_keyframe_at = now
                if counter.first_keyframe_at is not None or track.kind == "audio":
                    counter.frames_after_keyframe += 1
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def counter_for(self, mid: str) -> InboundCounter:
        return self.inbound.setdefault(mid, InboundCounter("unknown"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.pc.close()
