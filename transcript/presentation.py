"""What the renderings share: the record's text in reading order (``record_text``), which the
plain-text and PDF renderings only lay out, and its parts (clock times, the entries shown,
header and correction lines). The words come from the one catalogue,
``hearing_server.domain.labels``."""

from __future__ import annotations

from dataclasses import dataclass

from hearing_server.domain.labels import RECORD_TEXTS, Locale, role_label, stage_heading
from transcript.header import HearingHeader
from transcript.records import CorrectionRequest, Entry
from transcript.replica import TranscriptReplica

__all__ = [
    "RECORD_TEXTS",
    "EntryText",
    "Locale",
    "RecordSection",
    "RecordText",
    "StageSection",
    "clock_time",
    "correction_lines",
    "header_lines",
    "record_text",
    "role_label",
    "speaker_label",
    "stage_label",
    "stage_sections",
]


def clock_time(offset_ms: int) -> str:
    """Hearing-timeline offset as ``hh:mm:ss`` (hours may exceed 24 on very long timelines)."""
    seconds = offset_ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def stage_label(stage: str, locale: Locale) -> str:
    """A section heading of the record."""
    return stage_heading(stage, locale)


def speaker_label(entry: Entry, locale: Locale) -> str:
    role = role_label(entry.speaker.role.value, locale)
    name = entry.speaker.display_name
    return name if role in name else f"{name} ({role})"


@dataclass(frozen=True)
class StageSection:
    stage: str
    entries: tuple[Entry, ...]


def stage_sections(transcript: TranscriptReplica) -> list[StageSection]:
    """Live entries in timeline order, grouped into runs of the same stage."""
    sections: list[StageSection] = []
    run: list[Entry] = []
    for entry in transcript.entries(include_deleted=False):
        if run and run[-1].stage != entry.stage:
            sections.append(StageSection(run[0].stage, tuple(run)))
            run = []
        run.append(entry)
    if run:
        sections.append(StageSection(run[0].stage, tuple(run)))
    return sections


def header_lines(header: HearingHeader, locale: Locale) -> list[str]:
    labels = RECORD_TEXTS[locale]
    colon = labels["colon"]
    parties = labels["separator"].join(
        f"{role_label(party.role, locale)} {party.name}" for party in header.parties
    )
    return [
        f"{labels['case_number']}{colon}{header.case_number}",
        f"{labels['title']}{colon}{header.title}",
        f"{labels['date']}{colon}{header.date}",
        f"{labels['parties']}{colon}{parties}",
    ]


def correction_lines(correction: CorrectionRequest, locale: Locale) -> list[str]:
    labels = RECORD_TEXTS[locale]
    colon = labels["colon"]
    requester = role_label(correction.requester.role.value, locale)
    lines = [
        f"#{correction.correction_id} [{labels[correction.status.value]}] "
        f"{requester} {correction.requester.actor_id}, {labels['entry']} {correction.entry_id}",
        f"{labels['proposed']}{colon}{correction.proposed_text}",
        f"{labels['reason']}{colon}{correction.reason}",
    ]
    if correction.ruling_note is not None:
        lines.append(f"{labels['ruling']}{colon}{correction.ruling_note} ({correction.ruled_by})")
    return lines


@dataclass(frozen=True)
class EntryText:
    lead: str  # "[00:01:02] 张三 (原告)："
    text: str


@dataclass(frozen=True)
class RecordSection:
    heading: str  # "【法庭调查】"
    lines: tuple[str, ...]


@dataclass(frozen=True)
class RecordText:
    """The record's words in the order they are read; a rendering decides only the layout."""

    title: tuple[str, str]  # the court, the document's name
    header: tuple[str, ...]
    stages: tuple[tuple[str, tuple[EntryText, ...]], ...]  # heading, entries
    corrections: RecordSection | None
    record_hash: str


def record_text(transcript: TranscriptReplica, header: HearingHeader, locale: Locale) -> RecordText:
    labels = RECORD_TEXTS[locale]
    colon = labels["colon"]
    stages = tuple(
        (
            f"【{stage_label(section.stage, locale)}】",
            tuple(
                EntryText(
                    f"[{clock_time(entry.media_offset_ms)}] {speaker_label(entry, locale)}{colon}",
                    entry.text,
                )
                for entry in section.entries
            ),
        )
        for section in stage_sections(transcript)
    )
    corrections = transcript.corrections()
    return RecordText(
        title=(header.court_name, labels["document"]),
        header=tuple(header_lines(header, locale)),
        stages=stages,
        corrections=RecordSection(
            f"【{labels['corrections']}】",
            tuple(line for c in corrections for line in correction_lines(c, locale)),
        )
        if corrections
        else None,
        record_hash=f"{labels['record_hash']}{colon}{transcript.canonical_sha256()}",
    )
