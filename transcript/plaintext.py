"""The transcript as plain UTF-8 text: header, stage headings, speaker-labelled entries."""

from __future__ import annotations

from transcript.header import HearingHeader
from transcript.presentation import (
    RECORD_TEXTS,
    Locale,
    clock_time,
    correction_lines,
    header_lines,
    speaker_label,
    stage_label,
    stage_sections,
)
from transcript.replica import TranscriptReplica


def render_text(
    transcript: TranscriptReplica, header: HearingHeader, *, locale: Locale = Locale.ZH
) -> str:
    labels = RECORD_TEXTS[locale]
    lines = [header.court_name, labels["document"], *header_lines(header, locale), ""]
    for section in stage_sections(transcript):
        lines.append(f"【{stage_label(section.stage, locale)}】")
        for entry in section.entries:
            body = entry.text.replace("\n", "\n    ")
            speaker = speaker_label(entry, locale)
            lines.append(f"[{clock_time(entry.media_offset_ms)}] {speaker}{labels['colon']}{body}")
        lines.append("")
    corrections = transcript.corrections()
    if corrections:
        lines.append(f"【{labels['corrections']}】")
        for correction in corrections:
            lines.extend(correction_lines(correction, locale))
        lines.append("")
    lines.append(f"{labels['record_hash']}{labels['colon']}{transcript.canonical_sha256()}")
    return "\n".join(lines) + "\n"
