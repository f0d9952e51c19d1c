"""One segment file of one track: encoded packets muxed into Matroska as they are (I/O adapter).

The file is opened by us (not by FFmpeg) so that it can be fsynced and so that the operating
system's error (ENOSPC, EIO) is kept: PyAV turns an exception raised inside its write callback
into a generic callback error and loses the errno.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import av

from recording import layout
from recording.exceptions import DiskFailure, MuxFailure
from recording.layout import OpenSegmentInfo
from recording.records import ClosedSegment, TrackKind

logger = logging.getLogger(__name__)

MILLISECONDS = Fraction(1, 1000)
#: Clusters of at most 1 s, each handed to the OS as soon as it is complete.
MATROSKA_OPTIONS = {"cluster_time_limit": "1000", "flush_packets": "1"}


class RawSink(Protocol):
    """The file object a segment is written through (a real ``FileIO`` or a test fault)."""

    def write(self, data: bytes | memoryview, /) -> int | None: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...
    def fileno(self) -> int: ...
    def close(self) -> None: ...


FileOpener = Callable[[Path], RawSink]


def open_exclusive(path: Path) -> RawSink:
    """Create a new file for writing, unbuffered; fails if it exists."""
    return open(path, "xb", buffering=0)


class SegmentFile:
    """The writable file under the muxer; remembers the first OS error it saw."""

    def __init__(self, raw: RawSink) -> None:
        self._raw = raw
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        """Write all of ``data``: a nearly full disk takes part of a write without an error,
        and FFmpeg would not retry the rest."""
        view = memoryview(data)
        try:
            while view:
                written = self._raw.write(view)
                view = view[len(view) if written is None else written :]
        except OSError as exc:
            self.error = self.error or exc
            raise
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def sync(self) -> None:
        try:
            os.fsync(self._raw.fileno())
        except OSError as exc:
            self.error = self.error or exc
            raise

    def close(self) -> None:
        self._raw.close()


class SegmentWriter:
    """Open → write* → finalize (or abandon). Raises DiskFailure / MuxFailure only."""

    def __init__(
        self,
        info: OpenSegmentInfo,
        final_path: Path,
        *,
        opener: FileOpener = open_exclusive,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        self.info = info
        self.final_path = final_path
        self.partial_path = layout.partial_path(final_path)
        self.packet_count = 0
        self.end_ms = info.timeline_start_ms
        self.size = (width, height)
        self._file: SegmentFile | None = None
        self._container: Any = None
        self._opener = opener
        try:
            self._open(width, height)
        except BaseException:
            self.abandon()
            raise

    def _open(self, width: int | None, height: int | None) -> None:
        info, final_path = self.info, self.final_path
        with self._guard():
            layout.write_json_atomically(layout.open_sidecar_path(final_path), info.to_json())
            self._file = SegmentFile(self._opener(self.partial_path))
            self._container = av.open(self._file, "w", format="matroska", options=MATROSKA_OPTIONS)
            self._container.metadata["title"] = f"{info.hearing_id} {info.track_id}"
            if info.kind is TrackKind.VIDEO:
                self._stream = self._container.add_mux_stream(
                    info.codec, width=width or 640, height=height or 360
                )
            else:
                # A plain libopus stream makes PyAV write the OpusHead that Matroska needs;
                # the encoder itself is never fed.
                self._stream = self._container.add_stream("libopus", rate=48000, layout="stereo")

    def write(self, data: bytes, timeline_ms: int, keyframe: bool, duration_ms: int) -> None:
        packet = av.Packet(data)
        relative_ms = timeline_ms - self.info.timeline_start_ms
        packet.pts = relative_ms
        packet.dts = relative_ms
        packet.duration = duration_ms
        packet.time_base = MILLISECONDS
        packet.is_keyframe = keyframe
        packet.stream = self._stream
        with self._guard():
            self._container.mux_one(packet)
        self.packet_count += 1
        self.end_ms = timeline_ms + duration_ms

    def move_start(self, start_ms: int) -> None:
        """Move the segment on the timeline: what is written moves with it, what comes next
        continues from there (the timeline's correction once the sender's clock is known)."""
        self.end_ms += start_ms - self.info.timeline_start_ms
        self.info = dataclasses.replace(self.info, timeline_start_ms=start_ms)
        with self._guard():
            layout.write_json_atomically(
                layout.open_sidecar_path(self.final_path), self.info.to_json()
            )

    def sync(self) -> None:
        if self._file is not None:
            with self._guard():
                self._file.sync()

    def finalize(self, end_ms: int | None = None) -> ClosedSegment:
        """Close the muxer, fsync, rename to the final name, hash; return the record."""
        end = self.end_ms if end_ms is None else max(end_ms, self.info.timeline_start_ms)
        file = self._file
        assert file is not None, "segment already closed"
        with self._guard():
            self._container.close()
            if file.error is not None:  # FFmpeg may swallow a failed trailer write
                raise file.error
            file.sync()
        self._file = None
        file.close()
        with self._guard():
            os.replace(self.partial_path, self.final_path)
            layout.fsync_directory(self.final_path.parent)
            segment = describe_segment(
                self.info,
                self.final_path,
                timeline_end_ms=end,
                packet_count=self.packet_count,
                recovered=False,
            )
            publish_closed_sidecar(segment, self.info.origin_epoch_s)
        return segment

    def abandon(self) -> None:
        """Give up on this file after a failure: it stays ``.partial`` for recovery."""
        file, self._file = self._file, None
        if file is None:
            return
        with contextlib.suppress(Exception):
            self._container.close()
        with contextlib.suppress(OSError):
            file.close()

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (OSError, av.FFmpegError) as exc:
            disk_error = self._file.error if self._file is not None else None
            if disk_error is None and isinstance(exc, OSError) and exc.errno is not None:
                disk_error = exc
            if disk_error is not None:
                raise DiskFailure(
                    f"writing {self.partial_path.name}: {disk_error.strerror or disk_error}",
                    errno=disk_error.errno,
                    path=str(self.partial_path),
                ) from exc
            raise MuxFailure(f"muxing {self.partial_path.name}: {exc}") from exc


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def describe_segment(
    info: OpenSegmentInfo,
    final_path: Path,
    *,
    timeline_end_ms: int,
    packet_count: int,
    recovered: bool,
) -> ClosedSegment:
    return ClosedSegment(
        path=final_path,
        hearing_id=info.hearing_id,
        participant_id=info.participant_id,
        track_id=info.track_id,
        kind=info.kind,
        codec=info.codec,
        seq=info.seq,
        size_bytes=final_path.stat().st_size,
        duration_ms=timeline_end_ms - info.timeline_start_ms,
        sha256=sha256_of(final_path),
        timeline_start_ms=info.timeline_start_ms,
        timeline_end_ms=timeline_end_ms,
        packet_count=packet_count,
        recovered=recovered,
    )


def publish_closed_sidecar(segment: ClosedSegment, origin_epoch_s: float) -> None:
    """Write the closed record next to the file, then drop the open-segment sidecar."""
    record = layout.closed_segment_to_json(segment)
    record["origin_epoch_s"] = origin_epoch_s
    layout.write_json_atomically(layout.closed_sidecar_path(segment.path), record)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(layout.open_sidecar_path(segment.path))
