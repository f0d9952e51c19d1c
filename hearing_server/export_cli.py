"""``hearing-server export-video`` and ``export-tracks``: the exports from the command line,
with a progress bar on stderr."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from hearing_server.domain.exceptions import Conflict, HearingServerError
from hearing_server.services.export_inputs import LANGUAGES, ExportInputs, load_export_inputs
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from recording.exceptions import RecordingError
from recording.export_tracks import export_tracks
from recording.export_video import export_video

__all__ = ["LANGUAGES", "ProgressBar", "export_tracks_command", "export_video_command"]


class ExportError(HearingServerError):
    code = "export_failed"


class ProgressBar:
    """``[#####-----]  42%  0:13`` redrawn in place on a terminal, a line per 10 % elsewhere."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.width = label, width
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown = -1

    def __call__(self, fraction: float) -> None:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        interactive = self.stream.isatty()
        if percent == self.shown or (not interactive and percent // 10 == self.shown // 10):
            return
        self.shown = percent
        filled = percent * self.width // 100
        elapsed = int(time.monotonic() - self.started)
        line = (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {percent:3d}%"
                f"  {elapsed // 60}:{elapsed % 60:02d}")  # fmt: skip
        self.stream.write(("\r" + line) if interactive else line + "\n")
        if interactive and percent == 100:
            self.stream.write("\n")
        self.stream.flush()


async def _inputs(settings: Settings, hearing_id: int, language: str) -> ExportInputs:
    database = Database(settings.effective_database_url)
    try:
        async with database.read() as session:
            return await load_export_inputs(
                session, hearing_id, data_dir=settings.data_dir, language=language,
                time_zone=settings.time_zone,
            )  # fmt: skip
    finally:
        await database.close()


def export_video_command(settings: Settings, hearing_id: int, out: Path, language: str) -> int:
    inputs = asyncio.run(_inputs(settings, hearing_id, language))
    if inputs.plan is None:
        raise Conflict(f"hearing {hearing_id} has no recording to export")
    try:
        export_video(inputs.plan, out, progress=ProgressBar(f"hearing {hearing_id} video"))
    except RecordingError as exc:
        raise ExportError(exc.message) from exc
    print(out)
    return 0


def export_tracks_command(settings: Settings, hearing_id: int, out: Path) -> int:
    inputs = asyncio.run(_inputs(settings, hearing_id, "zh-CN"))
    if not inputs.segments:
        raise Conflict(f"hearing {hearing_id} has no recording to export")
    try:
        index = export_tracks(str(hearing_id), inputs.segments, out,
                              progress=ProgressBar(f"hearing {hearing_id} tracks"))  # fmt: skip
    except RecordingError as exc:
        raise ExportError(exc.message) from exc
    print(index)
    return 0
