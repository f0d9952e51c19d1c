"""Export jobs over the REST API: the contract, who may use it, and the files it hands out."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bench.synthetic_recording import Attendance, make_clip, record_hearing
from hearing_server.app import export_kinds
from hearing_server.services.export_jobs import FILE_GONE, INTERRUPTED, ExportJobs
from hearing_server.services.hearings import get_hearing
from hearing_server.settings import Settings
from hearing_server.store.eventlog import append_event
from hearing_server.web.keys import DATABASE
from tests.recording.conftest import decode_errors
from tests.support.api import ApiClient
from tests.support.clock import FakeClock

pytestmark = pytest.mark.media


async def record_for(api: ApiClient, hearing_id: int, settings: Settings) -> dict[str, int]:
    """A 3-second recording of the judge and the plaintiff on disk, as the server writes it."""
    body = (await api.get(f"/api/hearings/{hearing_id}")).body
    pids = {p["role"]: p["id"] for p in body["participants"]}
    clip = make_clip(2.0)
    record_hearing(
        settings.data_dir / "recordings" / str(hearing_id),
        [Attendance(str(pids["judge"]), clip, 0.2, 3.0),
         Attendance(str(pids["plaintiff"]), clip, 1.0, 3.0)],
        hearing_id=str(hearing_id), segment_s=2.0,
    )  # fmt: skip
    return pids


async def finished(api: ApiClient, hearing_id: int, export_id: str) -> dict[str, Any]:
    """Poll the job as the clerk's page does, bounded to 60 s."""
    for _ in range(600):
        reply = await api.get(f"/api/hearings/{hearing_id}/exports/{export_id}")
        assert reply.status == 200, reply.body
        if reply.body["state"] != "running":
            return dict(reply.body)
        await asyncio.sleep(0.1)  # a client's polling interval
    raise AssertionError(f"export {export_id} did not finish: {reply.body}")


async def download(api: ApiClient, path: str) -> tuple[int, bytes, dict[str, str]]:
    async with api.session.get(api.base_url + path) as response:
        return response.status, await response.read(), dict(response.headers)


async def test_video_export_contract_and_file(
    hearing_with_parties: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    await record_for(judge, hid, settings)
    started = await judge.post(f"/api/hearings/{hid}/exports", {"kind": "video"})
    assert started.status == 202, started.body
    assert set(started.body) == {"id", "kind", "state", "progress"}
    assert started.body["kind"] == "video"
    assert started.body["state"] == "running"
    assert started.body["progress"] == 0.0
    export_id = started.body["id"]
    done = await finished(judge, hid, export_id)
    assert done["state"] == "done", done
    assert done["progress"] == 1.0
    assert done["filename"] == f"hearing-{hid}.mp4"
    listing = (await judge.get(f"/api/hearings/{hid}/exports")).body["exports"]
    assert [item["id"] for item in listing] == [export_id]
    assert listing[0] == done
    status, data, headers = await download(judge, f"/api/hearings/{hid}/exports/{export_id}/file")
    assert status == 200
    assert headers["Content-Type"] == "video/mp4"
    assert f'filename="hearing-{hid}.mp4"' in headers["Content-Disposition"]
    assert len(data) == done["size"]
    assert hashlib.sha256(data).hexdigest() == done["sha256"]
    (tmp_path / "got.mp4").write_bytes(data)
    assert decode_errors(tmp_path / "got.mp4") == ""


async def test_tracks_export_is_a_zip_with_a_checked_index(
    hearing_with_parties: dict[str, Any], settings: Settings
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    pids = await record_for(judge, hid, settings)
    started = await judge.post(f"/api/hearings/{hid}/exports", {"kind": "tracks"})
    assert started.status == 202, started.body
    done = await finished(judge, hid, started.body["id"])
    assert done["state"] == "done", done
    status, data, headers = await download(judge, f"/api/hearings/{hid}/exports/{done['id']}/file")
    assert status == 200 and headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        folder = f"hearing-{hid}-tracks"
        index = json.loads(archive.read(f"{folder}/index.json"))
        wanted = {(str(pids[role]), kind) for role in ("judge", "plaintiff")
                  for kind in ("audio", "video")}  # fmt: skip
        assert {(f["participant_id"], f["kind"]) for f in index["files"]} == wanted
        for entry in index["files"]:
            content = archive.read(f"{folder}/{entry['file']}")
            assert hashlib.sha256(content).hexdigest() == entry["sha256"]


async def test_nothing_recorded_fails_with_a_reason(hearing_with_parties: dict[str, Any]) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    started = await judge.post(f"/api/hearings/{hid}/exports", {"kind": "video"})
    assert started.status == 202
    done = await finished(judge, hid, started.body["id"])
    assert done["state"] == "failed"
    assert done["error"] == "nothing was recorded for this hearing"
    assert "filename" not in done
    status, _data, _headers = await download(
        judge, f"/api/hearings/{hid}/exports/{done['id']}/file"
    )
    assert status == 404


async def test_only_the_hearings_staff_may_export(
    hearing_with_parties: dict[str, Any],
    sign_in: Callable[[str], Awaitable[ApiClient]],
    new_client: Callable[[], ApiClient],
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    base = f"/api/hearings/{hid}/exports"
    for username in ("clerk", "admin"):
        staff = await sign_in(username)
        assert (await staff.get(base)).status == 200, username
    other_judge = await sign_in("judge2")
    assert (await other_judge.get(base)).status == 403
    assert (await other_judge.post(base, {"kind": "video"})).status == 403
    party = new_client()
    token = hearing_with_parties["invitations"]["plaintiff"]["link"].rsplit("/", 1)[1]
    assert (await party.post("/api/party/exchange", {"token": token})).status == 200
    assert (await party.get(base)).status == 403
    assert (await party.post(base, {"kind": "video"})).status == 403
    anonymous = new_client()
    assert (await anonymous.get(base)).status == 401
    assert (await judge.get("/api/hearings/999999/exports")).status == 404
    assert (await judge.get(f"{base}/0123456789abcdef")).status == 404
    assert (await judge.get(f"{base}/not-an-export-id")).status == 404
    assert (await judge.get(base)).body["exports"] == []  # refused requests started nothing


async def test_bad_requests_are_refused_clearly(hearing_with_parties: dict[str, Any]) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    base = f"/api/hearings/{hearing_with_parties['hearing_id']}/exports"
    for body in ({}, {"kind": "dvd"}, {"kind": 3}, {"kind": "video", "language": "fr"}):
        reply = await judge.post(base, body)
        assert reply.status == 400, body
        assert reply.error_code == "invalid_request"
    assert set(export_kinds()) >= {"video", "tracks"}
    assert (await judge.get(base)).body["exports"] == []


async def test_exports_are_logged_and_outlive_a_restart(
    hearing_with_parties: dict[str, Any], settings: Settings, app: web.Application
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    await record_for(judge, hid, settings)
    video = await finished(judge, hid, (await judge.post(
        f"/api/hearings/{hid}/exports", {"kind": "video"})).body["id"])  # fmt: skip
    tracks = await finished(judge, hid, (await judge.post(
        f"/api/hearings/{hid}/exports", {"kind": "tracks"})).body["id"])  # fmt: skip
    empty = await judge.post(f"/api/hearings/{hid}/exports", {"kind": "nothing-there"})
    assert empty.status == 400  # refused requests start nothing and log nothing
    assert video["state"] == tracks["state"] == "done"

    log = (await judge.get(f"/api/hearings/{hid}/events")).body
    assert log["intact"] is True
    exports = [(e["kind"], e["actor"], e["payload"]) for e in log["events"]
               if e["kind"].startswith("export.")]  # fmt: skip
    assert [(kind, payload["export_id"]) for kind, _actor, payload in exports] == [
        ("export.started", video["id"]),
        ("export.done", video["id"]),
        ("export.started", tracks["id"]),
        ("export.done", tracks["id"]),
    ]
    assert all(actor.startswith("staff:") for _kind, actor, _payload in exports), exports
    done = exports[1][2]
    assert (done["kind"], done["filename"], done["size"], done["sha256"]) == (
        "video", video["filename"], video["size"], video["sha256"],
    )  # fmt: skip

    # Another server on the same data: the tracks file is deleted, and a third export was
    # running when the first server stopped (its start is in the log, nothing after it).
    async with app[DATABASE].write() as session:
        hearing = await get_hearing(session, hid, lock=True)
        await append_event(
            session, hearing, actor="staff:clerk", kind="export.started",
            payload={"export_id": "00000000000000ff", "kind": "video"}, at=FakeClock().now(),
        )  # fmt: skip
    zip_path = settings.data_dir / "exports" / str(hid) / tracks["id"] / tracks["filename"]
    zip_path.unlink()

    async def no_one(hearing_id: int, payload: dict[str, Any]) -> None: ...

    restarted = ExportJobs(database=app[DATABASE], settings=settings, clock=FakeClock(),
                           notify=no_one)  # fmt: skip
    try:
        listed = [job.to_json() for job in await restarted.list(hid)]
        assert [job["id"] for job in listed] == [video["id"], tracks["id"], "00000000000000ff"]
        assert listed[0] == video  # as the first server reported it
        assert listed[1]["state"] == "failed" and listed[1]["error"] == FILE_GONE
        assert "filename" not in listed[1]
        assert listed[2] == {"id": "00000000000000ff", "kind": "video", "state": "failed",
                             "progress": 0.0, "error": INTERRUPTED}  # fmt: skip
        job = await restarted.get(hid, video["id"])
        assert (
            job.path is not None
            and hashlib.sha256(job.path.read_bytes()).hexdigest() == (video["sha256"])
        )
    finally:
        await restarted.close()
