"""What an invited party receives: link, account + access code, QR code, text, calendar file."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno

from hearing_server.domain.clock import as_utc
from hearing_server.domain.labels import Locale, role_label


@dataclass(frozen=True)
class InvitationDetails:
    """Everything needed to tell one participant how to join one hearing."""

    court_name: str
    case_number: str
    title: str
    courtroom: str
    scheduled_start: datetime
    expected_duration_minutes: int
    participant_name: str
    participant_role: str
    link: str
    account: str
    code: str
    valid_from: datetime
    valid_until: datetime


def validity_window(
    scheduled_start: datetime, duration_minutes: int, early_minutes: int
) -> tuple[datetime, datetime]:
    """Credentials work from shortly before the slot until the end of the slot."""
    start = as_utc(scheduled_start)
    return start - timedelta(minutes=early_minutes), start + timedelta(minutes=duration_minutes)


def _local(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def invitation_text(details: InvitationDetails, language: str) -> str:
    role = role_label(details.participant_role, Locale.for_language(language))
    if language == "zh-CN":
        return (
            f"{details.participant_name}（{role}）您好：\n"
            f"{details.court_name}定于 {_local(details.scheduled_start)} 在线开庭审理"
            f"（{details.case_number}）{details.title}一案。\n"
            f"请用手机浏览器打开以下链接参加庭审（无需安装应用）：\n{details.link}\n"
            f"或在登录页输入账号 {details.account}，访问码 {details.code}。\n"
            f"账号自 {_local(details.valid_from)} 起至 {_local(details.valid_until)} 有效，"
            "仅可登录一次，请勿转告他人。\n"
            "请提前在安静、光线充足的地方准备好，并保持网络畅通。庭审全程录音录像。"
        )
    return (
        f"Dear {details.participant_name} ({role}),\n"
        f"{details.court_name} will hear case {details.case_number}, {details.title}, online "
        f"at {_local(details.scheduled_start)}.\n"
        f"Open this link in your phone's browser to join (no app needed):\n{details.link}\n"
        f"Or enter account {details.account} and access code {details.code} on the sign-in page.\n"
        f"These credentials work from {_local(details.valid_from)} until "
        f"{_local(details.valid_until)}, can be used once, and are for you only.\n"
        "Please be ready a few minutes early in a quiet, well-lit place with a stable "
        "connection. The whole hearing is recorded on audio and video."
    )


def qr_svg(link: str) -> str:
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(
        buffer, kind="svg", scale=6, border=4, xmldecl=False, title="QR"
    )
    return buffer.getvalue().decode("utf-8")


def qr_png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def qr_png_data_url(link: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(link)).decode("ascii")


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _ics_time(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """RFC 5545 folds lines longer than 75 octets."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not parts else 74
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def invitation_ics(details: InvitationDetails, *, uid: str, stamp: datetime) -> str:
    end = as_utc(details.scheduled_start) + timedelta(minutes=details.expected_duration_minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Hearing Server//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{_ics_time(stamp)}",
        f"DTSTART:{_ics_time(details.scheduled_start)}",
        f"DTEND:{_ics_time(end)}",
        f"SUMMARY:{_ics_escape(f'{details.case_number} {details.title}')}",
        f"LOCATION:{_ics_escape(details.link)}",
        f"URL:{details.link}",
        f"DESCRIPTION:{_ics_escape(invitation_text(details, 'en'))}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
