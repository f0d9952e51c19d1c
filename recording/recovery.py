"""Start-up recovery: segments a crash left open are remuxed (stream copy) into clean files."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from recording.model import ClosedSegment, TrackKey
from recording.segment import MS, describe, fsync_directory

log = logging.getLogger(__name__)
PARTIAL = re.compile(r"^(\d+)-(audio|video)-(\d{5})-(\d+)\.partial\.mkv$")


@dataclass(frozen=True)
class Unrecoverable:
    path: Path
    reason: str


def recover(directory: Path) -> tuple[list[ClosedSegment], list[Unrecoverable]]:
    """Remux every ``*.partial.mkv`` into its final name without decoding; report the rest."""
    recovered: list[ClosedSegment] = []
    failed: list[Unrecoverable] = []
    for path in sorted(directory.glob("*.partial.mkv")):
        match = PARTIAL.match(path.name)
        if match is None:
            failed.append(Unrecoverable(path, "unexpected file name"))
            continue
        track = TrackKey(int(match.group(1)), match.group(2))
        seq, start_ms = int(match.group(3)), int(match.group(4))
        final = path.with_name(path.name.replace(".partial.mkv", ".mkv"))
        try:
            last_ms = _remux(path, final)
        except (av.FFmpegError, OSError, ValueError) as exc:
            final.unlink(missing_ok=True)
            quarantine = path.with_suffix(".unreadable")
            path.rename(quarantine)
            failed.append(Unrecoverable(quarantine, str(exc)))
            continue
        path.unlink()
        fsync_directory(directory)
        segment = describe(final, track, seq, start_ms, start_ms + last_ms, recovered=True)
        log.info("recovered %s (%d ms)", final.name, last_ms)
        recovered.append(segment)
    return recovered, failed


def _remux(source: Path, target: Path) -> int:
    """Copy every readable packet into a clean Matroska file; return the last end time in ms."""
    last_ms = 0
    packets = 0
    with av.open(str(source)) as reader:
        if not reader.streams:
            raise ValueError("no streams")
        stream_in = reader.streams[0]
        with av.open(str(target), "w", format="matroska") as writer:
            stream_out: Any = writer.add_stream_from_template(stream_in)
            stream_out.time_base = MS
            try:
                for packet in reader.demux(stream_in):
                    if packet.pts is None or packet.size == 0:
                        continue
                    ms = int(packet.pts * packet.time_base * 1000)
                    duration = int((packet.duration or 0) * packet.time_base * 1000)
                    packet.stream = stream_out
                    packet.time_base = MS
                    packet.pts = packet.dts = ms
                    writer.mux(packet)
                    last_ms = max(last_ms, ms + duration)
                    packets += 1
            except av.FFmpegError:
                pass  # a torn last cluster: keep everything before it
    if packets == 0:
        raise ValueError("no readable packets")
    return last_ms
