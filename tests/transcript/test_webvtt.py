"""WebVTT: read back by a strict parser, and accepted by ffmpeg as a subtitle input."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.transcript.builders import CLERK, at, sample_transcript
from tests.transcript.vtt_parser import Cue, VttError, parse_vtt
from transcript.model import Transcript
from transcript.records import Speaker
from transcript.roles import Role
from transcript.webvtt import render_webvtt

FFMPEG = Path("/usr/bin/ffmpeg")


def tricky_transcript() -> Transcript:
    transcript = Transcript("tr-v", "hearing-v")
    speaker = Speaker("p-1", "Agent <Lee> & Co", Role.AGENT)
    for offset, text in (
        (0, "A & B <b>not bold</b> --> arrow"),
        (0, "同一时刻的第二条"),
        (3_723_004, "第一段\n\n\n  第二段 &amp; literal  \nthird"),
    ):
        transcript.add_entry(
            CLERK, speaker=speaker, text=text, media_offset_ms=offset, stage="debate", at=at(1)
        )
    return transcript


def test_sample_cues_follow_the_live_entries() -> None:
    cues = parse_vtt(render_webvtt(sample_transcript()))
    assert cues == [
        Cue("entry-1", 1_000, 65_000, "审判员 李明", "现在开庭。核对当事人身份。"),
        Cue("entry-2", 65_000, 125_500, "原告 张三", "我请求被告支付货款人民币一万元。"),
        # Entry 4 (next on the timeline) is deleted, so the last cue runs 5 s.
        Cue(
            "entry-3",
            125_500,
            130_500,
            "Defendant John Smith",
            "I received the goods on 3 January and paid half.",
        ),
    ]


def test_markup_is_escaped_and_blank_lines_cannot_end_a_cue() -> None:
    document = render_webvtt(tricky_transcript())
    assert "&lt;b&gt;" in document and "--&gt;" in document
    cues = parse_vtt(document)
    assert [c.voice for c in cues] == ["Agent <Lee> & Co"] * 3
    assert [c.text for c in cues] == [
        "A & B <b>not bold</b> --> arrow",
        "同一时刻的第二条",
        "第一段\n第二段 &amp; literal\nthird",
    ]
    # Two cues at the same offset both run to the next later entry; hours past one work.
    assert [(c.start_ms, c.end_ms) for c in cues] == [
        (0, 3_723_004),
        (0, 3_723_004),
        (3_723_004, 3_728_004),
    ]
    assert "01:02:03.004 --> 01:02:08.004" in document


def test_the_strict_parser_rejects_what_it_should() -> None:
    good = render_webvtt(tricky_transcript())
    for bad in (
        good.replace("WEBVTT", "WEBVTX", 1),
        good.replace(" --> ", " -> ", 1),
        good.replace("&lt;b&gt;", "<b>", 1),
        good.rstrip("\n"),
        good.replace("00:00:00.000 --> 01:02:03.004", "00:00:05.000 --> 00:00:01.000", 1),
    ):
        with pytest.raises(VttError):
            parse_vtt(bad)


def test_an_empty_transcript_is_a_valid_empty_file() -> None:
    assert render_webvtt(Transcript("t", "h")) == "WEBVTT\n"
    assert parse_vtt("WEBVTT\n") == []


@pytest.mark.skipif(not FFMPEG.exists(), reason="ffmpeg not installed")
@pytest.mark.parametrize("make", [sample_transcript, tricky_transcript])
def test_ffmpeg_reads_it_as_subtitles(tmp_path: Path, make: Callable[[], Transcript]) -> None:
    path = tmp_path / "transcript.vtt"
    path.write_text(render_webvtt(make()), encoding="utf-8")
    # "-map 0:s -c copy": the null muxer has no default subtitle encoder, so without it ffmpeg 5
    # reports "Output file #0 does not contain any stream" for every subtitle-only input.
    command = [str(FFMPEG), "-nostdin", "-v", "error", "-i", str(path)]
    check = subprocess.run(
        [*command, "-map", "0:s", "-c", "copy", "-f", "null", "-"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (check.returncode, check.stdout, check.stderr) == (0, "", "")
    # ffmpeg also decodes every cue: convert to SubRip and count them.
    srt = subprocess.run(
        [*command, "-f", "srt", "-"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    expected = parse_vtt(path.read_text(encoding="utf-8"))
    timings = re.findall(r"^\d{2}:\d{2}:\d{2},\d{3} --> ", srt.stdout, flags=re.MULTILINE)
    assert len(timings) == len(expected)
    for cue in expected:
        assert cue.text.split("\n")[0] in srt.stdout
