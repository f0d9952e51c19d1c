"""The transcript as plain UTF-8 text: header, stage headings, speaker-labelled entries."""

from __future__ import annotations

from transcript.header import HearingHeader
from transcript.presentation import Locale, record_text
from transcript.replica import TranscriptReplica


def render_text(
    transcript: TranscriptReplica, header: HearingHeader, *, locale: Locale = Locale.ZH
) -> str:
    record = record_text(transcript, header, locale)
    lines = [*record.title, *record.header, ""]
    for heading, entries in record.stages:
        lines.append(heading)
        for entry in entries:
            body = entry.text.replace("\n", "\n    ")
            lines.append(f"{entry.lead}{body}")
        lines.append("")
    if record.corrections is not None:
        lines.append(record.corrections.heading)
        lines.extend(record.corrections.lines)
        lines.append("")
    lines.append(record.record_hash)
    return "\n".join(lines) + "\n"
