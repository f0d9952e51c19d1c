"""What an export of one hearing is made of, read from the database and the recordings folder.

Segments come from their ``.json`` records (they carry the recording run's wall-clock origin);
names and roles from the hearing's participants; chapters from ``stage.changed`` events,
placed relative to the first ``recording.started`` event on the log's own clock; subtitles
from the transcript rebuilt from the log and rendered to WebVTT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from hearing_server.domain.exceptions import ConfigError, ValidationFailed
from hearing_server.domain.labels import LANGUAGE_TAGS, Locale, role_label, stage_name
from hearing_server.services.hearings import get_hearing
from hearing_server.services.transcript_store import rebuild_transcript
from hearing_server.store.eventlog import load_events
from hearing_server.store.models import Participant
from recording.export_plan import ExportPlan, ParticipantLabel, RecordedSegment, make_plan
from recording.export_sources import recorded_segments
from recording.export_subtitles import cues_from_webvtt
from transcript.webvtt import render_webvtt

# The web client's strings: the export takes "export.no_video" from there.
I18N_DIR = Path(__file__).resolve().parents[2] / "web_client" / "i18n"
LANGUAGES = tuple(LANGUAGE_TAGS.values())  # ("zh-CN", "en")


@dataclass(frozen=True)
class ExportInputs:
    hearing_id: int
    segments: list[RecordedSegment]
    plan: ExportPlan | None  # None when nothing was recorded


def strings(language: str) -> dict[str, str]:
    if language not in LANGUAGES:
        raise ValidationFailed(f"language must be one of {', '.join(LANGUAGES)}")
    loaded = json.loads((I18N_DIR / f"{language}.json").read_text("utf-8"))
    return {str(key): str(value) for key, value in loaded.items()}


def utc_offset_minutes(time_zone: str, epoch_s: float) -> int:
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {time_zone!r} (HEARING_TIME_ZONE)") from None
    offset = datetime.fromtimestamp(epoch_s, UTC).astimezone(zone).utcoffset()
    return 0 if offset is None else round(offset.total_seconds() / 60)


def recordings_dir(data_dir: Path, hearing_id: int) -> Path:
    return data_dir / "recordings" / str(hearing_id)


async def load_export_inputs(
    session: AsyncSession,
    hearing_id: int,
    *,
    data_dir: Path,
    language: str = "zh-CN",
    time_zone: str = "Asia/Shanghai",
) -> ExportInputs:
    text = strings(language)
    locale = Locale.for_language(language)
    hearing = await get_hearing(session, hearing_id)
    segments = recorded_segments(recordings_dir(data_dir, hearing_id))
    if not segments:
        return ExportInputs(hearing_id, segments, None)
    participants = (
        await session.exec(
            select(Participant)
            .where(Participant.hearing_id == hearing_id)
            .order_by(col(Participant.position), col(Participant.id))
        )
    ).all()
    labels = [
        ParticipantLabel(str(p.id), p.display_name, role_label(p.role, locale))
        for p in participants
    ]
    events = [(row.kind, row.at, json.loads(row.payload)) for row in await load_events(
        session, hearing_id)]  # fmt: skip
    started = next((_moment(at) for kind, at, _ in events if kind == "recording.started"), None)
    stages = [
        (_moment(at), stage_name(str(payload.get("to")), locale))
        for kind, at, payload in events
        if kind == "stage.changed" and isinstance(payload, dict)
    ]
    transcript = rebuild_transcript(hearing_id, [(kind, payload) for kind, _, payload in events])
    cues = (
        cues_from_webvtt(render_webvtt(transcript))
        if transcript.entries(include_deleted=False) else []
    )  # fmt: skip
    origin = min(segment.origin_epoch_s for segment in segments)
    plan = make_plan(
        hearing_id=str(hearing_id), title=hearing.case_number, recorded=segments, labels=labels,
        stages=stages, recording_started=started, cues=cues,
        utc_offset_minutes=utc_offset_minutes(time_zone, origin),
        no_video_text=text.get("export.no_video", "No video"),
    )  # fmt: skip
    return ExportInputs(hearing_id, segments, plan)


def _moment(at: Any) -> datetime:
    moment = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
