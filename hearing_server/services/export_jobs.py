"""Export jobs: one hearing's export built in the background, with progress, for the clerk.

A job runs one of the kinds it was given (``ExportJobs(kinds=...)``, named by the composition
root, ``hearing_server.app.export_kinds``): "video" (the MP4) and "tracks" (the original tracks
in a ZIP) are built here; other modules provide theirs (the bundle). A kind is an async
function that may read the database on the event loop and must do its heavy work through
``ExportRequest.run_in_worker``: a dedicated thread at a lower CPU priority (its threads,
libx264's included, inherit it), one export at a time, so live hearings keep their share of
the machine. Progress (0..1) reaches ``notify`` at most every 1 % and every 0.5 s.

Every job leaves a trace in the hearing's event log: ``export.started`` (who, which kind),
then ``export.done`` (file name, size, SHA-256) or ``export.failed`` (the reason). Files stay
in ``DATA/exports/<hearing_id>/<export id>/``; after a restart a hearing's jobs are rebuilt
from its log the first time they are asked for (a job the restart interrupted shows as
failed, a finished one whose file is gone as well).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
import zipfile
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import col, select

from hearing_server.domain.clock import Clock
from hearing_server.domain.exceptions import HearingServerError, NotFound
from hearing_server.services.export_inputs import load_export_inputs
from hearing_server.services.hearings import get_hearing
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event
from hearing_server.store.models import HearingEvent
from recording.exceptions import RecordingError
from recording.export_tracks import export_tracks
from recording.export_video import export_video

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[float], None]
Notify = Callable[[int, dict[str, Any]], Awaitable[None]]
WORKER_NICENESS = 10
NOTIFY_INTERVAL_S = 0.5
EVENT_KINDS = ("export.started", "export.done", "export.failed")
INTERRUPTED = "the server restarted while this export was running"
FILE_GONE = "the export's file is no longer on the server"


class ExportCancelled(Exception):
    """The server is shutting down; the job's partial output is thrown away."""


@dataclass(frozen=True)
class ExportRequest:
    """What a kind's builder gets: where to write, and how to run heavy work."""

    hearing_id: int
    database: Database
    settings: Settings
    work_dir: Path  # an empty folder of this job's own
    language: str
    run_in_worker: Callable[..., Awaitable[Any]]


# Builds one kind's file and returns it; the file must be inside ``request.work_dir``.
ExportBuilder = Callable[[ExportRequest, Progress], Awaitable[Path]]


def _check_kind_name(kind: str) -> str:
    if not kind.isidentifier() or len(kind) > 32:
        raise ValueError(f"export kind {kind!r} must be a short identifier")
    return kind


@dataclass
class ExportJob:
    id: str
    hearing_id: int
    kind: str
    actor: str
    state: str = "running"
    progress: float = 0.0
    error: str | None = None
    path: Path | None = None
    size: int | None = None
    sha256: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "state": self.state,
                                "progress": round(self.progress, 4)}  # fmt: skip
        if self.error is not None:
            data["error"] = self.error
        if self.path is not None:
            data.update(filename=self.path.name, size=self.size, sha256=self.sha256)
        return data


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


class ExportJobs:
    """The export jobs of every hearing; ``kinds`` are what ``start`` may run (without any,
    it only lists and reads the jobs of earlier runs)."""

    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        clock: Clock,
        notify: Notify,
        kinds: Mapping[str, ExportBuilder] | None = None,
    ) -> None:
        self.database, self.settings, self.clock, self.notify = database, settings, clock, notify
        self._kinds = {_check_kind_name(kind): build for kind, build in (kinds or {}).items()}
        self.jobs: dict[str, ExportJob] = {}
        self._restoring: dict[int, asyncio.Future[None]] = {}  # earlier runs' jobs, per hearing
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="export", initializer=_lower_priority
        )
        self._tasks: set[asyncio.Task[None]] = set()

    def kind_names(self) -> list[str]:
        """The kinds ``POST /api/hearings/{hid}/exports`` accepts, sorted."""
        return sorted(self._kinds)

    async def start(self, hearing_id: int, kind: str, *, actor: str, language: str) -> ExportJob:
        if kind not in self._kinds:
            raise ValueError(f"unknown export kind {kind!r}")
        await self._restore(hearing_id)  # earlier jobs first in the list
        job = ExportJob(secrets.token_hex(8), hearing_id, kind, actor)
        self.jobs[job.id] = job
        task = asyncio.get_running_loop().create_task(self._run(job, language))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("hearing %s: export %s (%s) started by %s", hearing_id, job.id, kind, actor)
        return job

    async def list(self, hearing_id: int) -> list[ExportJob]:
        await self._restore(hearing_id)
        return [job for job in self.jobs.values() if job.hearing_id == hearing_id]

    async def get(self, hearing_id: int, export_id: str) -> ExportJob:
        await self._restore(hearing_id)
        job = self.jobs.get(export_id)
        if job is None or job.hearing_id != hearing_id:
            raise NotFound("no such export")
        return job

    async def _restore(self, hearing_id: int) -> None:
        """Jobs of earlier server runs, from the hearing's log (read once per hearing)."""
        loading = self._restoring.get(hearing_id)
        if loading is None:
            loading = asyncio.ensure_future(self._load(hearing_id))
            self._restoring[hearing_id] = loading
        await asyncio.shield(loading)

    async def _load(self, hearing_id: int) -> None:
        async with self.database.read() as session:
            rows = (
                await session.exec(
                    select(HearingEvent)
                    .where(HearingEvent.hearing_id == hearing_id)
                    .where(col(HearingEvent.kind).in_(EVENT_KINDS))
                    .order_by(col(HearingEvent.seq))
                )
            ).all()
        for row in rows:
            payload = json.loads(row.payload)
            export_id = payload.get("export_id")
            if not isinstance(export_id, str):
                continue
            job = self.jobs.get(export_id)
            if row.kind == "export.started":
                if job is None:  # not one of this run's: interrupted unless an outcome follows
                    self.jobs[export_id] = ExportJob(
                        export_id, hearing_id, str(payload.get("kind")), row.actor,
                        state="failed", error=INTERRUPTED,
                    )  # fmt: skip
            elif job is not None and job.error == INTERRUPTED:
                _restore_outcome(job, row.kind, payload, self._work_dir(job))

    def _work_dir(self, job: ExportJob) -> Path:
        return self.settings.data_dir / "exports" / str(job.hearing_id) / job.id

    async def _log(self, job: ExportJob, kind: str, payload: dict[str, Any]) -> None:
        """The job's event in the hearing log; a failure to write it is logged, not raised
        (the export itself goes on)."""
        try:
            async with self.database.write() as session:
                hearing = await get_hearing(session, job.hearing_id, lock=True)
                await append_event(
                    session, hearing, actor=job.actor, kind=kind,
                    payload={"export_id": job.id, "kind": job.kind, **payload},
                    at=self.clock.now(),
                )  # fmt: skip
        except Exception:
            log.exception("hearing %s: export %s: %s not logged", job.hearing_id, job.id, kind)

    async def _run(self, job: ExportJob, language: str) -> None:
        await self._log(job, "export.started", {})
        loop = asyncio.get_running_loop()
        work_dir = self._work_dir(job)
        last_sent = [0.0, -1.0]

        def progress(fraction: float) -> None:  # called on the worker thread
            if job.cancel.is_set():
                raise ExportCancelled("the server is shutting down")
            job.progress = max(job.progress, min(0.999, fraction))
            now = time.monotonic()
            if job.progress - last_sent[1] >= 0.01 and now - last_sent[0] >= NOTIFY_INTERVAL_S:
                last_sent[:] = [now, job.progress]
                loop.call_soon_threadsafe(self._spawn_notify, job)

        async def run_in_worker(function: Callable[..., T], *args: Any) -> T:
            return await loop.run_in_executor(self._executor, function, *args)

        try:
            work_dir.mkdir(parents=True, exist_ok=False)
            request = ExportRequest(job.hearing_id, self.database, self.settings, work_dir,
                                    language, run_in_worker)  # fmt: skip
            path = await self._kinds[job.kind](request, progress)
            if work_dir.resolve() not in path.resolve().parents:
                raise RuntimeError(f"export kind {job.kind} wrote outside its folder")
            job.sha256 = await run_in_worker(_sha256, path)
            job.size = path.stat().st_size
            job.path, job.state, job.progress = path, "done", 1.0
            log.info("hearing %s: export %s done (%s, %d bytes)",
                     job.hearing_id, job.id, path.name, job.size)  # fmt: skip
        except (HearingServerError, RecordingError, ExportCancelled) as exc:
            job.state, job.error = "failed", _message(exc)
            log.warning("hearing %s: export %s failed: %s", job.hearing_id, job.id, job.error)
        except Exception:
            job.state, job.error = "failed", "the export failed; the server logged why"
            log.exception("hearing %s: export %s failed", job.hearing_id, job.id)
        if job.state == "failed":
            shutil.rmtree(work_dir, ignore_errors=True)
            await self._log(job, "export.failed", {"error": job.error})
        elif job.path is not None:
            await self._log(job, "export.done", {
                "filename": job.path.name, "size": job.size, "sha256": job.sha256,
            })  # fmt: skip
        await self._notify(job)

    def _spawn_notify(self, job: ExportJob) -> None:
        task = asyncio.get_running_loop().create_task(self._notify(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, job: ExportJob) -> None:
        try:
            await self.notify(job.hearing_id, job.to_json())
        except Exception:
            log.exception("hearing %s: export %s progress not sent", job.hearing_id, job.id)

    async def close(self) -> None:
        await asyncio.gather(*self._restoring.values(), return_exceptions=True)
        for job in self.jobs.values():
            job.cancel.set()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        self._executor.shutdown(wait=True)


def _restore_outcome(job: ExportJob, kind: str, payload: dict[str, Any], work_dir: Path) -> None:
    """Set a restored job's outcome from its ``export.done`` / ``export.failed`` event."""
    job.progress = 1.0 if kind == "export.done" else job.progress
    if kind == "export.failed":
        job.state, job.error = "failed", str(payload.get("error") or "the export failed")
        return
    path = work_dir / str(payload.get("filename", ""))
    if path.parent != work_dir or not path.is_file():
        job.state, job.error = "failed", FILE_GONE
        return
    job.state, job.error, job.path = "done", None, path
    job.size, job.sha256 = payload.get("size"), payload.get("sha256")


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "message", None) or exc)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


async def _inputs(request: ExportRequest) -> Any:
    async with request.database.read() as session:
        return await load_export_inputs(
            session, request.hearing_id, data_dir=request.settings.data_dir,
            language=request.language, time_zone=request.settings.time_zone,
        )  # fmt: skip


async def build_video(request: ExportRequest, progress: Progress) -> Path:
    inputs = await _inputs(request)
    if inputs.plan is None:
        raise NotFound("nothing was recorded for this hearing")
    out = request.work_dir / f"hearing-{request.hearing_id}.mp4"
    await request.run_in_worker(lambda: export_video(inputs.plan, out, progress=progress))
    return out


def _zip_folder(folder: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as bundle:
        for item in sorted(folder.iterdir()):
            bundle.write(item, f"{folder.name}/{item.name}")


async def build_tracks(request: ExportRequest, progress: Progress) -> Path:
    inputs = await _inputs(request)
    if not inputs.segments:
        raise NotFound("nothing was recorded for this hearing")
    folder = request.work_dir / f"hearing-{request.hearing_id}-tracks"
    archive = request.work_dir / f"hearing-{request.hearing_id}-tracks.zip"

    def build() -> None:
        export_tracks(str(request.hearing_id), inputs.segments, folder,
                      progress=lambda f: progress(f * 0.9))  # fmt: skip
        _zip_folder(folder, archive)
        shutil.rmtree(folder)

    await request.run_in_worker(build)
    return archive
