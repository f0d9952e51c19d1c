"""The invitation's QR code and calendar file, checked by independent tools."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hearing_server.services.invitations import (
    InvitationDetails,
    invitation_ics,
    invitation_text,
    qr_png,
    qr_svg,
)

DETAILS = InvitationDetails(
    court_name="北京市朝阳区人民法院",
    case_number="(2026)京0105民初123号",
    title="张三诉李四买卖合同纠纷, a long title that needs folding in the calendar file",
    courtroom="第三法庭",
    scheduled_start=datetime(2026, 5, 11, 1, 30, tzinfo=UTC),
    expected_duration_minutes=90,
    participant_name="张三",
    participant_role="plaintiff",
    link="https://court.example/j/SgF1ny0qxBceC-Yi4t9qBfWz8bFfrzLxaY41ruJYRs8",
    account="8890429447",
    code="52075135",
    valid_from=datetime(2026, 5, 11, 1, 0, tzinfo=UTC),
    valid_until=datetime(2026, 5, 11, 3, 0, tzinfo=UTC),
)


def test_qr_png_decodes_to_the_link(tmp_path: Path) -> None:
    if shutil.which("zbarimg") is None:
        pytest.fail("zbarimg (Debian zbar-tools) is required; scripts/test installs it")
    image = tmp_path / "qr.png"
    image.write_bytes(qr_png(DETAILS.link))
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout.strip()  # fmt: skip
    assert decoded == DETAILS.link


def test_qr_svg_is_an_svg_document() -> None:
    svg = qr_svg(DETAILS.link)
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")


def test_texts_carry_everything_a_party_needs() -> None:
    for language in ("zh-CN", "en"):
        text = invitation_text(DETAILS, language)
        for needed in (DETAILS.link, DETAILS.account, DETAILS.code, DETAILS.case_number):
            assert needed in text
    assert "原告" in invitation_text(DETAILS, "zh-CN")
    assert "Plaintiff" in invitation_text(DETAILS, "en")


def test_ics_is_folded_and_complete() -> None:
    ics = invitation_ics(DETAILS, uid="h-1@test", stamp=datetime(2026, 5, 1, tzinfo=UTC))
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-2] == "END:VCALENDAR"
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = ics.replace("\r\n ", "")
    assert "DTSTART:20260511T013000Z" in unfolded
    assert "DTEND:20260511T030000Z" in unfolded
    assert f"URL:{DETAILS.link}" in unfolded
    assert "SUMMARY:(2026)京0105民初123号 张三诉李四买卖合同纠纷\\, a long title" in unfolded
