"""Export the original tracks: each participant's segments of one kind joined into one
Matroska file without re-encoding (``ffmpeg -c copy``), plus ``index.json``.

Packets keep their bytes; their timestamps move by the segment's place on the export
timeline, so a gap (a pause, a crash) stays a gap in the joined file, and a file's first
packet sits at its ``timeline_start_ms``. ``index.json`` lists every file with its SHA-256,
its offset on the timeline and the segments it was joined from (with their own SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from recording.exceptions import ExportFailed, NothingToExport
from recording.export_plan import RecordedSegment, SegmentSpan, place_segments

logger = logging.getLogger(__name__)

INDEX_NAME = "index.json"
INDEX_FORMAT = 1
MILLISECONDS = Fraction(1, 1000)


@dataclass(frozen=True, slots=True)
class TrackFile:
    path: Path
    participant_id: str
    kind: str
    codec: str
    timeline_start_ms: int
    timeline_end_ms: int
    packet_count: int
    segments: tuple[SegmentSpan, ...]


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def export_tracks(
    hearing_id: str,
    recorded: Sequence[RecordedSegment],
    out_dir: Path,
    *,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Write one file per track and ``index.json`` into ``out_dir``; return the index path."""
    origin, spans = place_segments(recorded)
    tracks: dict[tuple[str, str], list[SegmentSpan]] = {}
    for span in spans:
        tracks.setdefault((span.participant_id, span.kind.value), []).append(span)
    if not tracks:
        raise NothingToExport("nothing was recorded for this hearing")
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[TrackFile] = []
    total = sum(span.size_bytes or 1 for span in spans)
    done = 0
    for (participant_id, kind), track_spans in sorted(tracks.items()):
        target = out_dir / f"participant-{participant_id}-{kind}.mkv"
        files.append(_join(participant_id, kind, track_spans, target))
        done += sum(span.size_bytes or 1 for span in track_spans)
        if progress is not None:
            progress(min(done / total, 0.99))
    index = {
        "format": INDEX_FORMAT,
        "hearing_id": hearing_id,
        "origin_epoch_s": origin,
        "origin": datetime.fromtimestamp(origin, UTC).isoformat(),
        "duration_ms": max(span.end_ms for span in spans),
        "files": [_file_entry(item) for item in files],
    }
    index_path = out_dir / INDEX_NAME
    index_path.write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", "utf-8")
    if progress is not None:
        progress(1.0)
    return index_path


def _file_entry(item: TrackFile) -> dict[str, Any]:
    return {
        "file": item.path.name,
        "participant_id": item.participant_id,
        "kind": item.kind,
        "codec": item.codec,
        "size_bytes": item.path.stat().st_size,
        "sha256": sha256_file(item.path),
        "timeline_start_ms": item.timeline_start_ms,
        "timeline_end_ms": item.timeline_end_ms,
        "packet_count": item.packet_count,
        "segments": [
            {"file": span.path.name, "sha256": span.sha256, "size_bytes": span.size_bytes,
             "timeline_start_ms": span.start_ms, "timeline_end_ms": span.end_ms}
            for span in item.segments
        ],
    }  # fmt: skip


def _join(participant_id: str, kind: str, spans: Sequence[SegmentSpan], target: Path) -> TrackFile:
    """Copy every packet of the spans into ``target``, each span shifted to its place."""
    partial = target.with_name(target.name + ".partial")
    packets = 0
    last_dts = -1
    codec = ""
    try:
        with av.open(str(partial), "w", format="matroska") as output:
            out_stream: Any = None
            for span in spans:
                try:
                    source: Any = av.open(str(span.path), "r")
                except (av.FFmpegError, OSError) as exc:
                    raise ExportFailed(f"{span.path.name} cannot be read: {exc}") from exc
                with source:
                    in_stream = source.streams[0]
                    if out_stream is None:
                        out_stream = output.add_stream_from_template(in_stream)
                        out_stream.time_base = MILLISECONDS
                        codec = in_stream.codec_context.name
                    for packet in source.demux(in_stream):
                        if packet.dts is None or packet.size == 0:
                            continue
                        shift = span.start_ms - spans[0].start_ms
                        dts = _ms(packet.dts, packet.time_base) + shift
                        if dts <= last_dts:  # segments meet exactly; never go back
                            dts = last_dts + 1
                        pts = _ms(packet.pts, packet.time_base) + shift
                        packet.dts, packet.pts = dts, max(pts, dts)
                        packet.time_base = MILLISECONDS
                        packet.stream = out_stream
                        output.mux(packet)
                        last_dts = dts
                        packets += 1
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return TrackFile(
        path=target, participant_id=participant_id, kind=kind, codec=codec,
        timeline_start_ms=spans[0].start_ms, timeline_end_ms=max(s.end_ms for s in spans),
        packet_count=packets, segments=tuple(spans),
    )  # fmt: skip


def _ms(value: int | None, time_base: Fraction | None) -> int:
    if value is None:
        return 0
    return round(value * (time_base or MILLISECONDS) * 1000)
