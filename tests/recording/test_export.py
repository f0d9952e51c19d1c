"""Exports of a real recording (VP8/Opus written by the recorder), checked with ffprobe/ffmpeg.

Two participants: the judge from 0.3 s to 9 s, a party from 2.5 s to 7.5 s, the recording
paused from 4 s to 5.5 s; 2 s segments.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from bench.synthetic_recording import Attendance, make_clip, record_hearing
from recording.export_labels import DEFAULT_FONT
from recording.export_layout import grid, grid_offset
from recording.export_plan import Cue, ExportPlan, ParticipantLabel, make_plan
from recording.export_sources import recorded_segments
from recording.export_tracks import export_tracks
from recording.export_video import VideoSettings, export_video
from tests.recording.conftest import decode_errors, ffprobe

pytestmark = pytest.mark.media
T0 = datetime(2026, 5, 11, 1, 30, tzinfo=UTC)
JUDGE_LUMA, PARTY_LUMA = 150, 100  # the clips' background brightness


@dataclass
class Exported:
    directory: Path
    plan: ExportPlan
    mp4: Path
    progress: list[float]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Exported:
    directory = tmp_path_factory.mktemp("recording")
    people = [
        Attendance("1", make_clip(3.0, shade=90, tone_hz=440), join_s=0.3, leave_s=9.0),
        Attendance("2", make_clip(3.0, shade=40, tone_hz=660), join_s=2.5, leave_s=7.5),
    ]
    record_hearing(directory, people, pauses=[(4.0, 5.5, "recess")], segment_s=2.0)
    plan = make_plan(
        hearing_id="1", title="(2026)京0105民初123号", recorded=recorded_segments(directory),
        labels=[ParticipantLabel("1", "王法官", "审判员"), ParticipantLabel("2", "张三", "原告")],
        stages=[(T0, "核对身份"), (T0 + timedelta(seconds=3), "法庭调查"),
                (T0 + timedelta(seconds=6), "法庭辩论")],
        recording_started=T0, cues=[Cue(1000, 3000, "王法官: 现在开庭。")],
    )  # fmt: skip
    progress: list[float] = []
    mp4 = directory / "hearing.mp4"
    export_video(plan, mp4, progress=progress.append)
    return Exported(directory, plan, mp4, progress)


def _luma_rows(path: Path, at_s: float) -> tuple[Any, int]:
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= at_s:
                plane = frame.planes[0]
                return bytes(plane), plane.line_size
    raise AssertionError(f"no frame at {at_s} s")


def tile_luma(path: Path, at_s: float) -> list[int]:
    """The median brightness of a row near the top of each tile (the bar and text avoided)."""
    data, stride = _luma_rows(path, at_s)
    tiles = grid(2, 1280, 720)
    left, top = grid_offset(tiles, 1280, 720)
    values = []
    for tile in tiles:
        row = (top + tile.y + 40) * stride + left + tile.x
        values.append(round(statistics.median(data[row : row + tile.width])))
    return values


def test_the_mp4_decodes_cleanly_with_h264_aac_and_the_recorded_duration(
    exported: Exported,
) -> None:
    assert decode_errors(exported.mp4) == ""
    probe = ffprobe(exported.mp4)
    codecs = {s["codec_type"]: s["codec_name"] for s in probe["streams"]}
    assert codecs["video"] == "h264"
    assert codecs["audio"] == "aac"
    assert codecs["subtitle"] == "mov_text"
    video = next(s for s in probe["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1280, 720)
    recorded_s = max(s.timeline_end_ms for s in recorded_segments(exported.directory)) / 1000
    assert recorded_s > 8.5
    assert abs(float(probe["format"]["duration"]) - recorded_s) <= 0.5
    for stream in probe["streams"][:2]:
        assert abs(float(stream["duration"]) - recorded_s) <= 0.5
    assert exported.progress[-1] == 1.0
    assert exported.progress == sorted(exported.progress)


def top_level_boxes(path: Path) -> list[str]:
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        assert size >= 8
        offset += size
    return boxes


def test_faststart_puts_the_index_first(exported: Exported) -> None:
    boxes = top_level_boxes(exported.mp4)
    assert boxes.index("moov") < boxes.index("mdat")


def test_a_chapter_per_stage_and_the_transcript_as_subtitles(exported: Exported) -> None:
    chapters = json.loads(subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-of", "json", str(exported.mp4)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout)["chapters"]  # fmt: skip
    assert [c["tags"]["title"] for c in chapters] == ["核对身份", "法庭调查", "法庭辩论"]
    assert [round(float(c["start_time"]), 1) for c in chapters] == [0.0, 3.0, 6.0]
    subtitles = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(exported.mp4), "-map", "0:s", "-f", "srt", "-"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert "00:00:01,000 --> 00:00:03,000" in subtitles
    assert "王法官: 现在开庭。" in subtitles


def test_tiles_show_who_is_there_and_a_placeholder_in_the_pause(exported: Exported) -> None:
    placeholder, empty = 64, 37  # Y of the placeholder card and of the empty tile
    judge, party = tile_luma(exported.mp4, 1.5)  # the party has not joined yet
    assert abs(judge - JUDGE_LUMA) < 15 and abs(party - empty) < 12
    judge, party = tile_luma(exported.mp4, 3.4)
    assert abs(judge - JUDGE_LUMA) < 15 and abs(party - PARTY_LUMA) < 15
    judge, party = tile_luma(exported.mp4, 4.8)  # paused
    assert abs(judge - placeholder) < 12 and abs(party - placeholder) < 12
    judge, party = tile_luma(exported.mp4, 8.4)  # the party left at 7.5 s
    assert abs(judge - JUDGE_LUMA) < 15 and abs(party - empty) < 12


def test_a_missing_font_is_a_clear_error(exported: Exported, tmp_path: Path) -> None:
    from recording.exceptions import ExportFailed

    settings = VideoSettings(font=tmp_path / "none.ttf")
    with pytest.raises(ExportFailed, match="fonts-wqy-zenhei"):
        export_video(exported.plan, tmp_path / "x.mp4", settings=settings)
    assert not (tmp_path / "x.mp4").exists()
    assert not (tmp_path / "x.mp4.partial").exists()
    assert DEFAULT_FONT.exists()


def test_tracks_are_joined_unchanged_and_indexed(exported: Exported, tmp_path: Path) -> None:
    segments = recorded_segments(exported.directory)
    index_path = export_tracks("1", segments, tmp_path / "tracks")
    index = json.loads(index_path.read_text("utf-8"))
    assert index["hearing_id"] == "1"
    files = {(f["participant_id"], f["kind"]): f for f in index["files"]}
    assert set(files) == {("1", "audio"), ("1", "video"), ("2", "audio"), ("2", "video")}
    for entry in index["files"]:
        path = tmp_path / "tracks" / entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert path.stat().st_size == entry["size_bytes"]
        assert decode_errors(path) == ""
        track_id = f"{entry['participant_id']}-{entry['kind']}"
        sources = [s for s in segments if s.track_id == track_id]
        assert len(entry["segments"]) == len(sources)
        for listed in entry["segments"]:
            original = exported.directory / listed["file"]
            assert hashlib.sha256(original.read_bytes()).hexdigest() == listed["sha256"]
        # the same packets as the originals: nothing re-encoded
        with av.open(str(path)) as joined:
            joined_packets = [bytes(p) for p in joined.demux() if p.size]
        original_packets = []
        for listed in entry["segments"]:
            with av.open(str(exported.directory / listed["file"])) as original:
                original_packets += [bytes(p) for p in original.demux() if p.size]
        assert joined_packets == original_packets
    judge_audio = files[("1", "audio")]
    assert abs(judge_audio["timeline_start_ms"] - 300) <= 40
    duration_s = float(ffprobe(tmp_path / "tracks" / judge_audio["file"])["format"]["duration"])
    expected_s = (judge_audio["timeline_end_ms"] - judge_audio["timeline_start_ms"]) / 1000
    assert abs(duration_s - expected_s) < 0.3  # the pause is kept as a gap, not closed up
