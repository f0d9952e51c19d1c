"""One Matroska segment of one track, muxed from encoded packets and flushed for crash safety.

Open segments are named ``…-<seq>-<start_ms>.partial.mkv``; a clean close fsyncs the file and
renames it atomically to ``….mkv``. Clusters are at most one second and every packet is
flushed, so a killed process leaves a file readable up to its last second.
"""

from __future__ import annotations

import contextlib
import fractions
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import av

from recording.model import ClosedSegment, TrackKey

MKV_OPTIONS = {"cluster_time_limit": "1000", "flush_packets": "1"}
MS = fractions.Fraction(1, 1000)
Opener = Callable[[Path], IO[bytes]]


def default_opener(path: Path) -> IO[bytes]:
    return open(path, "xb")


def vp8_dimensions(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame header (RFC 6386 section 9.1)."""
    if len(data) < 10 or data[0] & 1 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


def segment_name(track: TrackKey, seq: int, start_ms: int, *, partial: bool) -> str:
    suffix = ".partial.mkv" if partial else ".mkv"
    return f"{track.participant_id}-{track.kind}-{seq:05d}-{start_ms}{suffix}"


class SegmentFile:
    def __init__(
        self,
        directory: Path,
        track: TrackKey,
        seq: int,
        start_ms: int,
        *,
        first_frame: bytes,
        opener: Opener = default_opener,
    ) -> None:
        self.track = track
        self.seq = seq
        self.start_ms = start_ms
        self.last_ms = start_ms
        self.path = directory / segment_name(track, seq, start_ms, partial=True)
        self.final_path = directory / segment_name(track, seq, start_ms, partial=False)
        self._file = opener(self.path)
        try:
            self._container: Any = av.open(self._file, "w", format="matroska", options=MKV_OPTIONS)
            if track.kind == "video":
                width, height = vp8_dimensions(first_frame) or (640, 360)
                self._stream: Any = self._container.add_mux_stream(
                    "vp8", rate=30, width=width, height=height
                )
            else:
                # add_stream gives Matroska the OpusHead it needs; nothing is ever encoded.
                self._stream = self._container.add_stream("libopus", rate=48000, layout="stereo")
            self._stream.time_base = MS
        except Exception:
            self._file.close()
            raise

    def write(self, data: bytes, timeline_ms: int, keyframe: bool) -> None:
        packet = av.Packet(data)
        packet.stream = self._stream
        packet.time_base = MS
        packet.pts = packet.dts = timeline_ms - self.start_ms
        packet.is_keyframe = keyframe
        self._container.mux(packet)
        self.last_ms = timeline_ms

    def sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self, frame_ms: int) -> ClosedSegment:
        """Finish the file (cues, duration), fsync, rename, hash."""
        self._container.close()
        self.sync()
        self._file.close()
        os.replace(self.path, self.final_path)
        fsync_directory(self.final_path.parent)
        return describe(self.final_path, self.track, self.seq, self.start_ms,
                        self.last_ms + frame_ms)  # fmt: skip

    def abandon(self) -> None:
        """After a write error: release what we can; the partial file stays for recovery."""
        for closer in (self._container.close, self._file.close):
            with contextlib.suppress(Exception):  # the disk failed; recovery handles the file
                closer()


def fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(
    path: Path, track: TrackKey, seq: int, start_ms: int, end_ms: int, *, recovered: bool = False
) -> ClosedSegment:
    return ClosedSegment(
        path=path, track=track, seq=seq, size_bytes=path.stat().st_size,
        sha256=sha256_file(path), start_ms=start_ms, end_ms=end_ms, recovered=recovered,
    )  # fmt: skip
