"""Plain text and PDF renderings: header, stage headings, speakers, times; Chinese survives."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.transcript.builders import (
    CLERK,
    DEFENDANT_SPEAKER,
    HEADER,
    JUDGE_SPEAKER,
    at,
    sample_transcript,
)
from transcript.exceptions import FontMissing
from transcript.model import Transcript
from transcript.pdf import PdfFont, render_pdf, wrap_text
from transcript.plaintext import render_text
from transcript.presentation import Locale, clock_time

PDFTOTEXT = Path("/usr/bin/pdftotext")
LONG_MIXED = (
    "被告代理人认为：原告提交的证据三（2024年12月3日的送货单）与本案无关，"
    "because the delivery note was signed by a person who is not an employee of the defendant, "
    "且该送货单上的印章与被告公章不一致，请求法庭不予采信。"
)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "transcript.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        [str(PDFTOTEXT), "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_clock_time() -> None:
    assert [clock_time(ms) for ms in (0, 999, 61_000, 3_723_004, 90_000_000)] == [
        "00:00:00",
        "00:00:00",
        "00:01:01",
        "01:02:03",
        "25:00:00",
    ]


def test_plain_text_rendering() -> None:
    text = render_text(sample_transcript(), HEADER)
    assert text.startswith("北京市海淀区人民法院\n庭审笔录\n案号：(2025)京0108民初1234号\n")
    assert "当事人：原告 张三；被告 John Smith" in text
    assert "【核对当事人身份】\n[00:00:01] 审判员 李明：现在开庭。核对当事人身份。" in text
    assert "[00:02:05] Defendant John Smith (被告)：I received the goods" in text
    assert "(typed by mistake)" not in text  # deleted
    assert "#2 [已驳回] 原告 p-plaintiff, 条目 1" in text
    assert text.rstrip().endswith(sample_transcript().canonical_sha256())
    english = render_text(sample_transcript(), HEADER, locale=Locale.EN)
    assert "[Investigation]" not in english and "【Investigation】" in english
    assert "Case number: (2025)京0108民初1234号" in english


@pytest.mark.skipif(not PDFTOTEXT.exists(), reason="poppler-utils not installed")
def test_pdf_text_is_extractable_verbatim(tmp_path: Path) -> None:
    transcript = sample_transcript()
    transcript.add_entry(
        CLERK,
        speaker=DEFENDANT_SPEAKER,
        text=LONG_MIXED,
        media_offset_ms=3_723_000,
        stage="evidence",
        at=at(20),
    )
    data = render_pdf(transcript, HEADER)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    for expected in (
        "北京市海淀区人民法院",
        "庭审笔录",
        "案号：(2025)京0108民初1234号",
        "案由：张三诉 John Smith 买卖合同纠纷",
        "日期：2025-03-01",
        "当事人：原告 张三；被告 John Smith",
        "【核对当事人身份】",
        "【法庭调查】",
        "【举证质证】",
        "[00:00:01] 审判员 李明：现在开庭。核对当事人身份。",
        "[00:01:05] 原告 张三：我请求被告支付货款人民币一万元。",
        "现在开庭。核对当事人身份。",
        "我请求被告支付货款人民币一万元。",
        "I received the goods on 3 January and paid half.",
        "[01:02:03] Defendant John Smith (被告)",
    ):
        assert expected in text, expected
    # The long entry wraps over lines; its characters come back in order.
    assert squash(LONG_MIXED) in squash(text)
    assert "typed by mistake" not in text
    assert squash(transcript.canonical_sha256()) in squash(text)


@pytest.mark.skipif(not PDFTOTEXT.exists(), reason="poppler-utils not installed")
def test_long_transcripts_break_pages_with_numbers(tmp_path: Path) -> None:
    transcript = Transcript("tr-long", "hearing-long")
    for index in range(120):
        transcript.add_entry(
            CLERK,
            speaker=JUDGE_SPEAKER,
            text=f"第{index}条：{LONG_MIXED}",
            media_offset_ms=index * 10_000,
            stage="debate" if index > 60 else "investigation",
            at=at(1),
        )
    data = render_pdf(transcript, HEADER, locale=Locale.EN)
    text = pdf_text(data, tmp_path)
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) > 5
    assert "Page 1" in pages[0] and "Page 2" in pages[1]
    assert "【Debate】" in text
    assert squash(f"第119条：{LONG_MIXED}") in squash(text)


def test_pdf_is_deterministic() -> None:
    assert render_pdf(sample_transcript(), HEADER) == render_pdf(sample_transcript(), HEADER)


def test_missing_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match="install the Debian package fonts-wqy-zenhei"):
        render_pdf(sample_transcript(), HEADER, font=PdfFont(path=tmp_path / "none.ttc"))
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    with pytest.raises(FontMissing, match="cannot embed font"):
        render_pdf(sample_transcript(), HEADER, font=PdfFont(path=broken))


def test_wrapping_respects_widths_and_keeps_every_character() -> None:
    def measure(text: str) -> float:
        return float(len(text))

    lines = wrap_text(
        "短句 hello wonderful world 一二三四五六七八九十 supercalifragilistic", measure, 12, 10
    )
    assert len(lines[0]) <= 12 and all(len(line) <= 10 for line in lines[1:])
    assert squash("".join(lines)) == squash(
        "短句 hello wonderful world 一二三四五六七八九十 supercalifragilistic"
    )
    assert "hello" in lines[0] and "wonderful" in lines[1]  # Latin words stay whole
    assert wrap_text("一\n\n二", measure, 5) == ["一", "", "二"]
