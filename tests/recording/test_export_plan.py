"""The export's plan, layout and subtitles: pure functions, no media."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from recording.exceptions import NothingToExport
from recording.export_layout import enable_expression, grid, grid_offset, xstack_layout
from recording.export_plan import (
    Interval,
    ParticipantLabel,
    RecordedSegment,
    chapters_from_stages,
    coverage,
    holes,
    make_plan,
    place_segments,
)
from recording.export_subtitles import cues_from_webvtt
from recording.records import TrackKind

T0 = datetime(2026, 5, 11, 1, 30, tzinfo=UTC)


def segment(
    pid: str, kind: TrackKind, start: int, end: int, origin: float = 1000.0
) -> RecordedSegment:
    return RecordedSegment(
        path=Path(f"{pid}-{kind.value}-{start}.mkv"), participant_id=pid,
        track_id=f"{pid}-{kind.value}", kind=kind, timeline_start_ms=start,
        timeline_end_ms=end, origin_epoch_s=origin,
    )  # fmt: skip


def test_segments_of_a_restarted_recording_land_on_the_first_timeline() -> None:
    first = segment("1", TrackKind.AUDIO, 0, 5000, origin=1000.0)
    # The server crashed and restarted 20 s later: its timeline restarts at 0.
    second = segment("1", TrackKind.AUDIO, 500, 3000, origin=1020.0)
    origin, spans = place_segments([second, first])
    assert origin == 1000.0
    assert [(s.start_ms, s.end_ms) for s in spans] == [(0, 5000), (20_500, 23_000)]


def test_nothing_recorded_is_refused() -> None:
    with pytest.raises(NothingToExport):
        place_segments([])


def test_coverage_bridges_small_holes_and_holes_lists_the_rest() -> None:
    _, spans = place_segments([
        segment("1", TrackKind.VIDEO, 0, 2000), segment("1", TrackKind.VIDEO, 2100, 4000),
        segment("1", TrackKind.VIDEO, 6000, 8000),
    ])  # fmt: skip
    covered = coverage(spans)
    assert covered == [Interval(0, 4000), Interval(6000, 8000)]
    assert holes(Interval(0, 9000), covered) == [Interval(4000, 6000), Interval(8000, 9000)]
    assert holes(Interval(0, 8100), covered) == [Interval(4000, 6000)]  # 100 ms: no gap


def test_tiles_follow_the_labels_presence_and_video_gaps() -> None:
    plan = make_plan(
        hearing_id="7", title="case",
        recorded=[
            segment("2", TrackKind.VIDEO, 7000, 9000), segment("2", TrackKind.AUDIO, 7000, 12_000),
            segment("1", TrackKind.VIDEO, 300, 4000), segment("1", TrackKind.VIDEO, 6000, 12_000),
            segment("1", TrackKind.AUDIO, 300, 4000), segment("1", TrackKind.AUDIO, 6000, 12_000),
            segment("9", TrackKind.AUDIO, 1000, 2000),
        ],
        labels=[ParticipantLabel("1", "王法官", "审判员"), ParticipantLabel("2", "张三", "原告")],
    )  # fmt: skip
    assert plan.duration_ms == 12_000
    assert [t.label.participant_id for t in plan.tiles] == ["1", "2", "9"]
    judge, plaintiff, unknown = plan.tiles
    assert judge.presence == Interval(300, 12_000)
    assert judge.video_gaps == (Interval(4000, 6000),)
    assert plaintiff.presence == Interval(7000, 12_000)
    assert plaintiff.video_gaps == (Interval(9000, 12_000),)
    assert unknown.label == ParticipantLabel("9", "9", "")
    assert unknown.video_gaps == (Interval(1000, 2000),)  # audio only: the placeholder


def test_a_chapter_per_stage_reached_on_the_log_clock() -> None:
    stages = [
        (T0 - timedelta(seconds=5), "核对身份"),  # before the recording: from 0
        (T0 + timedelta(seconds=3), "法庭调查"),
        (T0 + timedelta(seconds=8), "法庭辩论"),
        (T0 + timedelta(seconds=8), "最后陈述"),  # superseded at once
    ]
    chapters = chapters_from_stages(stages, recording_started=T0, duration_ms=12_000)
    assert [(c.start_ms, c.end_ms, c.title) for c in chapters] == [
        (0, 3000, "核对身份"), (3000, 8000, "法庭调查"), (8000, 12_000, "最后陈述"),
    ]  # fmt: skip
    assert chapters_from_stages(stages, recording_started=None, duration_ms=1000) == ()
    assert chapters_from_stages([], recording_started=T0, duration_ms=1000) == ()


@pytest.mark.parametrize(
    ("count", "columns", "rows", "size"),
    [(1, 1, 1, (1280, 720)), (2, 2, 1, (640, 360)), (4, 2, 2, (640, 360)),
     (5, 3, 2, (426, 238)), (9, 3, 3, (426, 238))],
)  # fmt: skip
def test_grid_is_square_even_and_centred(
    count: int, columns: int, rows: int, size: tuple[int, int]
) -> None:
    tiles = grid(count, 1280, 720)
    assert len(tiles) == count
    assert len({t.x for t in tiles}) == columns and len({t.y for t in tiles}) == rows
    assert {(t.width, t.height) for t in tiles} == {size}
    assert all(t.width % 2 == 0 and t.height % 2 == 0 for t in tiles)
    left, top = grid_offset(tiles, 1280, 720)
    assert left % 2 == 0 and top % 2 == 0
    assert max(t.x + t.width for t in tiles) + 2 * left <= 1280
    assert max(t.y + t.height for t in tiles) + 2 * top <= 720
    with pytest.raises(ValueError, match="at least one"):
        grid(0, 1280, 720)


def test_layout_and_timeline_expressions() -> None:
    tiles = grid(3, 1280, 720)
    assert xstack_layout(tiles) == "0_0|640_0|0_360"
    assert enable_expression([]) == "0"
    assert enable_expression([Interval(300, 4000), Interval(6000, 12_500)]) == (
        "between(t,0.300,4.000)+between(t,6.000,12.500)"
    )


def test_webvtt_cues_become_plain_subtitles() -> None:
    vtt = (
        "WEBVTT\n\nentry-1\n00:00:01.500 --> 00:00:04.000\n<v 王法官>现在开庭。</v>\n\n"
        "entry-2\n00:01:04.000 --> 00:01:09.000\n<v Li Si>a &lt;b&gt; &amp; c\nsecond line</v>\n"
    )
    cues = cues_from_webvtt(vtt)
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1500, 4000), (64_000, 69_000)]
    assert cues[0].text == "王法官: 现在开庭。"
    assert cues[1].text == "Li Si: a <b> & c\nsecond line"
    assert cues_from_webvtt("WEBVTT\n") == []
