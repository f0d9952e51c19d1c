"""What an export of a hearing contains, on one timeline (pure: no I/O, no PyAV).

The export timeline is milliseconds since the hearing's recording first started. Segments of
a recording restarted after a crash carry their own ``origin_epoch_s``; they are shifted by the
difference, so every track of every run lands on the same timeline. From the segments follow
each participant's presence (first to last recorded moment), the stretches inside it with no
video (a pause, a crash: a placeholder is shown) and the export's duration (recording start
to the end of the last segment). Stages become chapters, transcript cues subtitles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from recording.exceptions import NothingToExport
from recording.records import TrackKind

#: Holes shorter than this inside a track are not gaps (a late packet, a rotation).
GAP_TOLERANCE_MS = 250


@dataclass(frozen=True, slots=True)
class SegmentSpan:
    """One closed segment file placed on the export timeline."""

    path: Path
    participant_id: str
    track_id: str
    kind: TrackKind
    start_ms: int
    end_ms: int
    sha256: str = ""
    size_bytes: int = 0


@dataclass(frozen=True, slots=True)
class RecordedSegment:
    """A segment as its record describes it (timeline of its own recording run)."""

    path: Path
    participant_id: str
    track_id: str
    kind: TrackKind
    timeline_start_ms: int
    timeline_end_ms: int
    origin_epoch_s: float
    sha256: str = ""
    size_bytes: int = 0


@dataclass(frozen=True, slots=True)
class ParticipantLabel:
    participant_id: str
    name: str
    role: str  # already in the export's language


@dataclass(frozen=True, slots=True)
class Interval:
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class Chapter:
    start_ms: int
    end_ms: int
    title: str


@dataclass(frozen=True, slots=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


@dataclass(frozen=True, slots=True)
class TileTrack:
    """One participant's tile: their video segments, presence and gaps."""

    label: ParticipantLabel
    video: tuple[SegmentSpan, ...]
    audio: tuple[SegmentSpan, ...]
    presence: Interval
    video_gaps: tuple[Interval, ...]  # inside ``presence``: the placeholder is shown


@dataclass(frozen=True, slots=True)
class ExportPlan:
    hearing_id: str
    title: str  # case number (drawn with the clock)
    origin_epoch_s: float
    duration_ms: int
    tiles: tuple[TileTrack, ...]
    chapters: tuple[Chapter, ...] = ()
    cues: tuple[Cue, ...] = ()
    utc_offset_minutes: int = 480
    no_video_text: str = "No video"

    @property
    def segments(self) -> list[SegmentSpan]:
        return [s for tile in self.tiles for s in (*tile.video, *tile.audio)]


@dataclass(slots=True)
class _Builder:
    video: list[SegmentSpan] = field(default_factory=list)
    audio: list[SegmentSpan] = field(default_factory=list)


def place_segments(recorded: Iterable[RecordedSegment]) -> tuple[float, list[SegmentSpan]]:
    """Put every segment on one timeline: (origin epoch, spans sorted by start)."""
    records = list(recorded)
    if not records:
        raise NothingToExport("nothing was recorded for this hearing")
    origin = min(r.origin_epoch_s for r in records)
    spans = [
        SegmentSpan(
            path=r.path,
            participant_id=r.participant_id,
            track_id=r.track_id,
            kind=r.kind,
            start_ms=round((r.origin_epoch_s - origin) * 1000) + r.timeline_start_ms,
            end_ms=round((r.origin_epoch_s - origin) * 1000) + r.timeline_end_ms,
            sha256=r.sha256,
            size_bytes=r.size_bytes,
        )
        for r in records
    ]
    spans.sort(key=lambda s: (s.start_ms, s.track_id, s.path.name))
    return origin, spans


def coverage(spans: Iterable[SegmentSpan], tolerance_ms: int = GAP_TOLERANCE_MS) -> list[Interval]:
    """The merged stretches the spans cover; holes up to ``tolerance_ms`` are bridged."""
    merged: list[Interval] = []
    for span in sorted(spans, key=lambda s: s.start_ms):
        if merged and span.start_ms <= merged[-1].end_ms + tolerance_ms:
            last = merged[-1]
            merged[-1] = Interval(last.start_ms, max(last.end_ms, span.end_ms))
        else:
            merged.append(Interval(span.start_ms, span.end_ms))
    return merged


def holes(inside: Interval, covered: Sequence[Interval]) -> list[Interval]:
    """The parts of ``inside`` that ``covered`` (sorted, disjoint) leaves out, if longer than
    the tolerance."""
    result: list[Interval] = []
    cursor = inside.start_ms
    for part in covered:
        if part.start_ms > cursor:
            result.append(Interval(cursor, min(part.start_ms, inside.end_ms)))
        cursor = max(cursor, part.end_ms)
        if cursor >= inside.end_ms:
            break
    if cursor < inside.end_ms:
        result.append(Interval(cursor, inside.end_ms))
    return [gap for gap in result if gap.end_ms - gap.start_ms > GAP_TOLERANCE_MS]


def build_tiles(
    spans: Sequence[SegmentSpan], labels: Sequence[ParticipantLabel]
) -> tuple[TileTrack, ...]:
    """One tile per participant with recorded media, in the order of ``labels``; participants
    missing from ``labels`` follow, named by their id."""
    by_participant: dict[str, _Builder] = {}
    for span in spans:
        builder = by_participant.setdefault(span.participant_id, _Builder())
        (builder.video if span.kind is TrackKind.VIDEO else builder.audio).append(span)
    known = {label.participant_id: label for label in labels}
    order = [label.participant_id for label in labels if label.participant_id in by_participant]
    order += sorted(pid for pid in by_participant if pid not in known)
    tiles = []
    for pid in order:
        builder = by_participant[pid]
        everything = coverage([*builder.video, *builder.audio])
        presence = Interval(everything[0].start_ms, everything[-1].end_ms)
        tiles.append(
            TileTrack(
                label=known.get(pid, ParticipantLabel(pid, pid, "")),
                video=tuple(builder.video),
                audio=tuple(builder.audio),
                presence=presence,
                video_gaps=tuple(holes(presence, coverage(builder.video))),
            )
        )
    return tuple(tiles)


def chapters_from_stages(
    stages: Sequence[tuple[datetime, str]],
    *,
    recording_started: datetime | None,
    duration_ms: int,
) -> tuple[Chapter, ...]:
    """One chapter per stage reached: from its change (on the log's clock, relative to the
    recording's start event) to the next change or the end. Earlier changes start at 0."""
    if recording_started is None or not stages:
        return ()
    starts: list[tuple[int, str]] = []
    for moment, title in sorted(stages, key=lambda item: item[0]):
        offset = round((moment - recording_started).total_seconds() * 1000)
        start = min(max(0, offset), duration_ms)
        if starts and starts[-1][0] == start:
            starts[-1] = (start, title)  # superseded at the same moment
        else:
            starts.append((start, title))
    chapters = []
    for index, (start, title) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else duration_ms
        if end > start:
            chapters.append(Chapter(start, end, title))
    return tuple(chapters)


def make_plan(
    *,
    hearing_id: str,
    title: str,
    recorded: Iterable[RecordedSegment],
    labels: Sequence[ParticipantLabel],
    stages: Sequence[tuple[datetime, str]] = (),
    recording_started: datetime | None = None,
    cues: Sequence[Cue] = (),
    utc_offset_minutes: int = 480,
    no_video_text: str = "No video",
) -> ExportPlan:
    origin, spans = place_segments(recorded)
    duration_ms = max(span.end_ms for span in spans)
    return ExportPlan(
        hearing_id=hearing_id,
        title=title,
        origin_epoch_s=origin,
        duration_ms=duration_ms,
        tiles=build_tiles(spans, labels),
        chapters=chapters_from_stages(
            stages, recording_started=recording_started, duration_ms=duration_ms
        ),
        cues=tuple(
            Cue(cue.start_ms, min(cue.end_ms, duration_ms), cue.text)
            for cue in cues
            if cue.start_ms < duration_ms and cue.end_ms > cue.start_ms
        ),
        utc_offset_minutes=utc_offset_minutes,
        no_video_text=no_video_text,
    )
