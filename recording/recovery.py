"""Start-up recovery: turn segments a crash left open into clean, hashed, closed segments.

A ``.partial`` Matroska file written with short clusters is readable up to its last complete
cluster but has no duration or cues. Recovery demuxes it and muxes the same packets into a
new file (``ffmpeg -c copy``: nothing is decoded), renames that to the final name, hashes it
and writes its record. Files that cannot be read are moved to ``quarantine/`` with a reason.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from recording import layout
from recording.exceptions import RecordingError, UnreadableSegment
from recording.layout import OpenSegmentInfo
from recording.records import ClosedSegment, GapReason, RecordingGap
from recording.segment_writer import describe_segment, publish_closed_sidecar

logger = logging.getLogger(__name__)

RECOVERING_SUFFIX = ".recovering"


@dataclass(frozen=True, slots=True)
class QuarantinedFile:
    original: Path
    moved_to: Path
    reason: str


@dataclass(slots=True)
class RecoveryReport:
    segments: list[ClosedSegment] = field(default_factory=list)
    gaps: list[RecordingGap] = field(default_factory=list)
    quarantined: list[QuarantinedFile] = field(default_factory=list)


def recover_hearing(hearing_dir: Path, *, now_epoch_s: float | None = None) -> RecoveryReport:
    """Recover every segment left open in one hearing's directory (idempotent)."""
    report = RecoveryReport()
    if not hearing_dir.is_dir():
        return report
    now = time.time() if now_epoch_s is None else now_epoch_s
    for leftover in [*hearing_dir.glob(f"*{RECOVERING_SUFFIX}"), *hearing_dir.glob("*.json.tmp")]:
        leftover.unlink()
    for final in sorted(hearing_dir.glob("*.mkv")):
        # Renamed but its record never written (crash between the two steps).
        if (
            layout.open_sidecar_path(final).exists()
            and not layout.closed_sidecar_path(final).exists()
        ):
            _collect(report, final, lambda path: adopt_closed_file(path))
    for partial in sorted(hearing_dir.glob(f"*.mkv{layout.PARTIAL_SUFFIX}")):
        _collect(report, partial, lambda path: recover_partial(path))
    for sidecar in hearing_dir.glob(f"*.mkv{layout.OPEN_SIDECAR_SUFFIX}"):
        # The sidecar is written before the media file: alone, it stands for no media.
        media = sidecar.with_name(sidecar.name.removesuffix(layout.OPEN_SIDECAR_SUFFIX))
        if not media.exists() and not layout.partial_path(media).exists():
            sidecar.unlink()
    report.gaps.extend(_crash_gaps(hearing_dir, report.segments, now))
    return report


def _collect(report: RecoveryReport, path: Path, recover: Any) -> None:
    try:
        report.segments.append(recover(path))
    except UnreadableSegment as exc:
        logger.error("recording: quarantining %s: %s", path, exc.message)
        report.quarantined.append(quarantine(path, exc.message))


def recover_one(partial: Path) -> ClosedSegment:
    """Recover a segment given its ``.partial`` path, wherever its closing had got to."""
    final = layout.final_path_of_partial(partial)
    if not partial.exists() and final.exists():  # renamed, but its record was not written
        return adopt_closed_file(final)
    return recover_partial(partial)


def salvage(partials: list[Path]) -> list[ClosedSegment]:
    """Recover the files a disk failure left (once writing works again): the unreadable go to
    quarantine, the ones that still fail are left for start-up recovery."""
    salvaged = []
    for partial in partials:
        try:
            salvaged.append(recover_one(partial))
        except UnreadableSegment as exc:
            logger.error("recording: quarantining %s: %s", partial, exc.message)
            quarantine(partial, exc.message)
        except (RecordingError, OSError) as exc:
            logger.warning("recording: %s left for start-up recovery: %s", partial, exc)
    return salvaged


def recover_partial(partial: Path) -> ClosedSegment:
    """Remux one ``.partial`` segment into its final file; raises UnreadableSegment."""
    final = layout.final_path_of_partial(partial)
    info = _read_info(final)
    temporary = final.with_name(final.name + RECOVERING_SUFFIX)
    try:
        packet_count, end_relative_ms = _remux(partial, temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        layout.fsync_directory(final.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    segment = _publish_recovered(info, final, packet_count, end_relative_ms)
    partial.unlink()
    layout.fsync_directory(final.parent)
    logger.info(
        "recording: hearing %s recovered %s (%d packets, %d ms)",
        info.hearing_id, final.name, packet_count, segment.duration_ms,
    )  # fmt: skip
    return segment


def adopt_closed_file(final: Path) -> ClosedSegment:
    """A finished file whose record was never written: measure it and write the record."""
    info = _read_info(final)
    packet_count, end_relative_ms = _measure(final)
    return _publish_recovered(info, final, packet_count, end_relative_ms)


def _publish_recovered(
    info: OpenSegmentInfo, final: Path, packet_count: int, end_relative_ms: int
) -> ClosedSegment:
    """The recovered file's record, written beside it (the sidecar the catalogue reads)."""
    segment = describe_segment(
        info,
        final,
        timeline_end_ms=info.timeline_start_ms + end_relative_ms,
        packet_count=packet_count,
        recovered=True,
    )
    publish_closed_sidecar(segment, info.origin_epoch_s)
    return segment


def quarantine(path: Path, reason: str) -> QuarantinedFile:
    folder = path.parent / layout.QUARANTINE_DIR
    folder.mkdir(exist_ok=True)
    moved_to = folder / path.name
    shutil.move(path, moved_to)
    final = layout.final_path_of_partial(path)
    sidecar = layout.open_sidecar_path(final)
    if sidecar.exists():
        shutil.move(sidecar, folder / sidecar.name)
    (folder / f"{path.name}.reason.txt").write_text(reason + "\n")
    return QuarantinedFile(path, moved_to, reason)


def _read_info(final: Path) -> OpenSegmentInfo:
    try:
        return OpenSegmentInfo.from_json(layout.read_json(layout.open_sidecar_path(final)))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableSegment(f"segment metadata unreadable: {exc}") from exc


def _remux(source: Path, destination: Path) -> tuple[int, int]:
    """Copy every complete packet; return (packet count, end of the last packet in ms)."""
    packet_count = 0
    end_ms = 0
    try:
        source_container: Any = av.open(str(source), "r", format="matroska")
    except (av.FFmpegError, OSError) as exc:
        raise UnreadableSegment(f"not a readable Matroska file: {exc}") from exc
    with source_container, av.open(str(destination), "w", format="matroska") as output:
        if not source_container.streams:
            raise UnreadableSegment("no streams in file")
        in_stream = source_container.streams[0]
        out_stream = output.add_stream_from_template(in_stream)
        for packet in _complete_packets(source_container, in_stream):
            end_ms = max(end_ms, _end_ms(packet, in_stream))
            packet.stream = out_stream
            output.mux_one(packet)
            packet_count += 1
    if packet_count == 0:
        raise UnreadableSegment("no complete media packets in file")
    return packet_count, end_ms


def _measure(path: Path) -> tuple[int, int]:
    try:
        with av.open(str(path), "r", format="matroska") as container:
            stream = container.streams[0]
            ends = [_end_ms(packet, stream) for packet in _complete_packets(container, stream)]
    except (av.FFmpegError, OSError, IndexError) as exc:
        raise UnreadableSegment(f"not a readable Matroska file: {exc}") from exc
    if not ends:
        raise UnreadableSegment("no complete media packets in file")
    return len(ends), max(ends)


def _complete_packets(container: Any, stream: Any) -> Any:
    """Packets up to the first damage: a killed writer leaves a torn last cluster."""
    demuxer = container.demux(stream)
    while True:
        try:
            packet = next(demuxer)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            logger.warning("recording: stopped reading at damage: %s", exc)
            return
        if packet.dts is None or packet.is_corrupt or packet.size == 0:
            continue
        yield packet


def _end_ms(packet: Any, stream: Any) -> int:
    time_base = packet.time_base or stream.time_base
    end: int = (packet.pts if packet.pts is not None else packet.dts) + (packet.duration or 0)
    milliseconds: float = float(end * time_base * 1000)
    return math.floor(milliseconds + 0.5)


def _crash_gaps(
    hearing_dir: Path, recovered: list[ClosedSegment], now_epoch_s: float
) -> list[RecordingGap]:
    """From the end of each track's last recovered segment to now, if nothing came after."""
    latest_end: dict[str, int] = {}
    for sidecar in hearing_dir.glob(f"*.mkv{layout.CLOSED_SIDECAR_SUFFIX}"):
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            data = layout.read_json(sidecar)
            track = str(data["track_id"])
            latest_end[track] = max(latest_end.get(track, 0), int(data["timeline_end_ms"]))
    gaps = []
    for segment in recovered:
        if segment.timeline_end_ms < latest_end.get(segment.track_id, 0):
            continue
        restart_ms = round((now_epoch_s - _read_origin(segment)) * 1000)
        if restart_ms > segment.timeline_end_ms:
            gaps.append(
                RecordingGap(
                    hearing_id=segment.hearing_id,
                    participant_id=segment.participant_id,
                    track_id=segment.track_id,
                    kind=segment.kind,
                    start_ms=segment.timeline_end_ms,
                    end_ms=restart_ms,
                    reason=GapReason.CRASH,
                    detail="writer stopped without closing this segment",
                )
            )
    return gaps


def _read_origin(segment: ClosedSegment) -> float:
    return float(layout.read_json(layout.closed_sidecar_path(segment.path))["origin_epoch_s"])
