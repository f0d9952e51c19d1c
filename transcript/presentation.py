"""What the renderings share: clock times, the entries a rendering shows, header and correction
lines. The words come from the one catalogue, ``hearing_server.domain.labels``."""

from __future__ import annotations

from dataclasses import dataclass

from hearing_server.domain.labels import RECORD_TEXTS, Locale, role_label, stage_heading
from transcript.header import HearingHeader
from transcript.records import CorrectionRequest, Entry
from transcript.replica import TranscriptReplica

__all__ = [
    "RECORD_TEXTS",
    "Locale",
    "StageSection",
    "clock_time",
    "correction_lines",
    "header_lines",
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
