"""The sealed export bundle: one zip holding everything a third party needs to verify offline.

Layout (docs/bundle.md explains every field)::

    manifest.json            canonical JSON: every file's SHA-256, segments + Merkle root,
                             event log head, signers and their decisions, the seal's key
    seal.sig, seal.pub.pem   the court seal's Ed25519 signature over manifest.json, its key
    transcript.json          the transcript's canonical bytes as signed (locked for review)
    transcript.pdf           the court record; its last page shows every signature
    transcript.vtt           the transcript as WebVTT subtitles
    recording/               the per-track Matroska segments, untouched (+ hearing.mp4)
    events.jsonl             the hearing's hash-chained event log, one event per line
    tree_heads.json          signed tree heads (RFC 9162) over the event log
    signatures/<id>-<role>/  public_key.pem, signature.der, signature.png, manifest.json
    VERIFY.md                how to check all of it with openssl, ffprobe and sha256sum
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from hearing_server.domain.canonical import canonical_json
from hearing_server.domain.clock import Clock, SystemClock, iso_utc
from hearing_server.domain.exceptions import Conflict
from hearing_server.services.bundle_pdf import SignatureLine, signature_pages
from hearing_server.services.bundle_readme import verify_readme
from hearing_server.services.export_jobs import ExportRequest
from hearing_server.services.hearing_record import HearingRecord, load_record, required_signers
from hearing_server.services.hearings import get_hearing
from hearing_server.services.seal import CourtSeal, load_or_create_seal
from hearing_server.services.signer_keys import spki_pem
from hearing_server.services.signing_status import current_records
from hearing_server.services.transcript_store import rebuild_transcript
from hearing_server.services.tree_heads import sign_tree_head
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event, event_to_json
from hearing_server.store.signing_models import SignerKey, SigningRecord
from transcript.header import HearingHeader, hearing_header
from transcript.manifest import SigningManifest, segments_merkle_root
from transcript.pdf import render_pdf
from transcript.replica import TranscriptState
from transcript.webvtt import render_webvtt

log = logging.getLogger(__name__)
BUNDLE_FORMAT = "hearing-bundle/1"
UNHASHED = frozenset({"manifest.json", "seal.sig", "seal.pub.pem"})
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
Progress = Callable[[float], None]


class BundleNotReady(Conflict):
    code = "bundle_not_ready"


@dataclass
class BundleContents:
    """What goes into the zip, gathered from the database (written in a thread)."""

    files: dict[str, bytes] = field(default_factory=dict)  # small files, by bundle path
    media: dict[str, Path] = field(default_factory=dict)  # large files copied from disk
    media_sha256: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BundleSummary:
    path: Path
    manifest_sha256: str
    seal_fingerprint: str
    files: int
    signed: int
    refused: int


def _header(record: HearingRecord, court_name: str) -> HearingHeader:
    return hearing_header(record.hearing, record.participants, court_name=court_name)


async def gather(
    database: Database, settings: Settings, hearing_id: int, seal: CourtSeal, *, now: datetime
) -> BundleContents:
    async with database.read() as session:
        record = await load_record(session, hearing_id, settings.data_dir)
        logged = record.logged
        transcript = rebuild_transcript(hearing_id, logged)
        if transcript.state is TranscriptState.DRAFTING:
            raise BundleNotReady("the transcript is not locked: nothing has been signed yet")
        decided = await current_records(session, record, transcript)
        keys = {
            (k.participant_id, k.fingerprint): k
            for k in (await session.exec(select(SignerKey).where(
                SignerKey.hearing_id == hearing_id))).all()
        }  # fmt: skip
    signers = required_signers(record)
    pending = [p.display_name for p in signers if p.id not in decided]
    if pending:
        raise BundleNotReady("not everyone has signed or refused yet: " + ", ".join(pending))
    # The record as signed: replayed without the final ``transcript.signed`` step.
    as_signed = rebuild_transcript(
        hearing_id, [(kind, p) for kind, p in logged if kind != "transcript.signed"]
    )
    contents = BundleContents()
    files = contents.files
    files["transcript.json"] = as_signed.canonical_bytes()
    files["transcript.vtt"] = render_webvtt(as_signed).encode("utf-8")
    files["events.jsonl"] = b"".join(
        canonical_json(event_to_json(row)) + b"\n" for row in record.events
    )
    for segment in record.segments:
        contents.media[segment.ref.path] = segment.source
        contents.media_sha256[segment.ref.path] = segment.ref.sha256
    signer_entries: list[dict[str, Any]] = []
    lines: list[SignatureLine] = []
    sizes = {len(record.events)}
    for participant in signers:
        row: SigningRecord = decided[participant.id or 0]
        entry: dict[str, Any] = {
            "participant_id": participant.id, "name": participant.display_name,
            "role": participant.role, "decision": row.decision, "at": iso_utc(row.decided_at),
        }  # fmt: skip
        if row.decision == "signed":
            folder = f"signatures/{participant.id}-{participant.role}"
            key = keys[(participant.id or 0, row.key_fingerprint)]
            manifest_bytes = row.manifest.encode("utf-8")
            files[f"{folder}/manifest.json"] = manifest_bytes
            files[f"{folder}/signature.der"] = row.signature_der
            files[f"{folder}/signature.png"] = row.image_png
            files[f"{folder}/public_key.pem"] = spki_pem(key.spki_der)
            sizes.add(SigningManifest.from_bytes(manifest_bytes).event_log_size)
            entry.update({
                "key_fingerprint": row.key_fingerprint, "manifest_sha256": row.manifest_sha256,
                "manifest": f"{folder}/manifest.json", "signature": f"{folder}/signature.der",
                "public_key": f"{folder}/public_key.pem", "image": f"{folder}/signature.png",
            })  # fmt: skip
        else:
            entry["reason"] = row.reason
        signer_entries.append(entry)
        lines.append(SignatureLine(
            participant.display_name, participant.role, row.decision, iso_utc(row.decided_at),
            row.key_fingerprint, row.image_png, row.reason,
        ))  # fmt: skip
    heads = [
        sign_tree_head(seal, hearing_id, record.events[:size], now).to_json()
        for size in sorted(sizes)
    ]
    files["tree_heads.json"] = canonical_json({"tree_heads": heads})
    files["transcript.pdf"] = await asyncio.to_thread(
        render_pdf, as_signed, _header(record, settings.court_name),
        last_pages=signature_pages(lines, seal_fingerprint=seal.fingerprint),
    )  # fmt: skip
    contents.manifest = {
        "format": BUNDLE_FORMAT,
        "created_at": iso_utc(now),
        "hearing": {
            "id": hearing_id, "case_number": record.hearing.case_number,
            "title": record.hearing.title, "court": settings.court_name,
        },
        "transcript": {
            "id": as_signed.transcript_id, "sha256": as_signed.canonical_sha256(),
            "json": "transcript.json", "pdf": "transcript.pdf", "vtt": "transcript.vtt",
        },
        "recording": {
            "segments": [s.ref.to_json() for s in record.segments],
            "merkle_root": segments_merkle_root([s.ref for s in record.segments]),
            "composite": None,
        },
        "event_log": {
            "path": "events.jsonl", "size": len(record.events),
            "head_hash": record.events[-1].hash, "tree_heads": "tree_heads.json",
        },
        "signers": signer_entries,
        "seal": {"algorithm": "Ed25519", "public_key": "seal.pub.pem",
                 "signature": "seal.sig", "fingerprint": seal.fingerprint},
    }  # fmt: skip
    files["VERIFY.md"] = verify_readme(contents.manifest).encode("utf-8")
    return contents


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_bundle(
    contents: BundleContents, seal: CourtSeal, out: Path, *, progress: Progress | None = None
) -> bytes:
    """Write the zip (in a thread): hash every file into the manifest, seal it. Returns it."""
    entries: list[dict[str, Any]] = []
    for path, source in contents.media.items():
        digest = _sha256_file(source)
        if digest != contents.media_sha256[path]:
            raise BundleNotReady(f"{path}: the file on disk differs from the logged SHA-256")
        entries.append({"path": path, "sha256": digest, "size": source.stat().st_size})
    for path, data in contents.files.items():
        entries.append(
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        )
    manifest = {**contents.manifest, "files": sorted(entries, key=lambda e: str(e["path"]))}
    manifest_bytes = canonical_json(manifest)
    total = len(contents.media) + len(contents.files) + 3
    done = 0
    temporary = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(temporary, "w") as archive:

        def put(name: str, data: bytes, *, compress: bool = True) -> None:
            nonlocal done
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            archive.writestr(info, data)
            done += 1
            if progress is not None:
                progress(done / total)

        put("manifest.json", manifest_bytes)
        put("seal.sig", seal.sign(manifest_bytes), compress=False)
        put("seal.pub.pem", seal.public_pem)
        for path in sorted(contents.files):
            put(path, contents.files[path], compress=not path.endswith((".png", ".pdf")))
        for path in sorted(contents.media):
            info = zipfile.ZipInfo(path, ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED
            with open(contents.media[path], "rb") as media, archive.open(info, "w") as target:
                while chunk := media.read(1 << 20):
                    target.write(chunk)
            done += 1
            if progress is not None:
                progress(done / total)
    temporary.replace(out)
    return manifest_bytes


async def build_bundle(
    database: Database,
    settings: Settings,
    hearing_id: int,
    out: Path,
    *,
    clock: Clock,
    composite: Path | None = None,
    progress: Progress | None = None,
) -> BundleSummary:
    """Gather, write and seal the bundle of one hearing; log ``bundle.exported``."""
    seal = load_or_create_seal(settings.data_dir)
    now = clock.now()
    contents = await gather(database, settings, hearing_id, seal, now=now)
    if composite is not None:
        name = "recording/hearing.mp4"
        contents.media[name] = composite
        contents.media_sha256[name] = await asyncio.to_thread(_sha256_file, composite)
        contents.manifest["recording"]["composite"] = name
    manifest_bytes = await asyncio.to_thread(write_bundle, contents, seal, out, progress=progress)
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    signers = contents.manifest["signers"]
    summary = BundleSummary(
        path=out, manifest_sha256=manifest_sha256, seal_fingerprint=seal.fingerprint,
        files=len(contents.files) + len(contents.media) + 3,
        signed=sum(1 for s in signers if s["decision"] == "signed"),
        refused=sum(1 for s in signers if s["decision"] == "refused"),
    )  # fmt: skip
    async with database.write() as session:
        hearing = await get_hearing(session, hearing_id, lock=True)
        await append_event(
            session, hearing, actor="system", kind="bundle.exported",
            payload={"manifest_sha256": manifest_sha256, "seal_fingerprint": seal.fingerprint,
                     "event_log_size": contents.manifest["event_log"]["size"]},
            at=clock.now(),
        )  # fmt: skip
    log.info("hearing %s: bundle %s sealed (manifest %s)", hearing_id, out, manifest_sha256[:16])
    return summary


def latest_video_export(data_dir: Path, hearing_id: int) -> Path | None:
    """The newest finished composite MP4 of the hearing (``export-video`` or the clerk's page)."""
    folder = data_dir / "exports" / str(hearing_id)
    videos = sorted(folder.glob(f"*/hearing-{hearing_id}.mp4"), key=lambda p: p.stat().st_mtime)
    return videos[-1] if videos else None


async def build_bundle_export(request: ExportRequest, progress: Progress) -> Path:
    """The "bundle" export kind: ``POST /api/hearings/{hid}/exports {"kind": "bundle"}``."""
    out = request.work_dir / f"hearing-{request.hearing_id}-bundle.zip"
    composite = latest_video_export(request.settings.data_dir, request.hearing_id)
    await build_bundle(
        request.database, request.settings, request.hearing_id, out, clock=SystemClock(),
        composite=composite, progress=progress,
    )  # fmt: skip
    return out
