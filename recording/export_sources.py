"""The closed segments of one hearing, read from their ``.json`` records (I/O adapter).

The record beside each closed segment holds what an export needs that the database row does
not: ``origin_epoch_s``, the wall-clock start of the recording run the segment belongs to.
Open (``.partial``) and quarantined files are never exported.
"""

from __future__ import annotations

import logging
from pathlib import Path

from recording import layout
from recording.export_plan import RecordedSegment
from recording.records import TrackKind

logger = logging.getLogger(__name__)


def recorded_segments(hearing_dir: Path) -> list[RecordedSegment]:
    """Every closed segment with a readable record, sorted by file name."""
    segments: list[RecordedSegment] = []
    if not hearing_dir.is_dir():
        return segments
    for media in sorted(hearing_dir.glob("*.mkv")):
        sidecar = layout.closed_sidecar_path(media)
        try:
            record = layout.read_json(sidecar)
            segments.append(
                RecordedSegment(
                    path=media,
                    participant_id=str(record["participant_id"]),
                    track_id=str(record["track_id"]),
                    kind=TrackKind(record["kind"]),
                    timeline_start_ms=int(record["timeline_start_ms"]),
                    timeline_end_ms=int(record["timeline_end_ms"]),
                    origin_epoch_s=float(record["origin_epoch_s"]),
                    sha256=str(record.get("sha256", "")),
                    size_bytes=int(record.get("size_bytes", 0)),
                )
            )
        except FileNotFoundError:
            logger.warning("export: %s has no record yet; left out", media)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("export: record of %s unreadable (%s); left out", media, exc)
    return segments
