"""The recording API: segments as rows with their log event; staff only; files with Range."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from hearing_server.services.recordings import (
    NewSegment,
    add_segment,
    list_segments,
    recordings_root,
)
from hearing_server.settings import Settings
from hearing_server.store.db import Database
from hearing_server.store.eventlog import load_events
from hearing_server.web.keys import CLOCK, DATABASE
from tests.support.api import ApiClient

CONTENT = bytes(range(256)) * 40  # stands in for a segment file: the API serves bytes


async def _store_segment(
    app: web.Application, settings: Settings, hearing_id: int, participant_id: int, kind: str,
    seq: int, start_ms: int,
) -> dict[str, Any]:  # fmt: skip
    name = f"{participant_id}-{kind}-{seq:05d}.mkv"
    folder = recordings_root(settings.data_dir) / str(hearing_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(CONTENT)
    segment = NewSegment(
        participant_id=participant_id, kind=kind, track_id=f"{participant_id}-{kind}",
        path=f"{hearing_id}/{name}", size=len(CONTENT),
        sha256=hashlib.sha256(CONTENT).hexdigest(), duration_ms=1000, start_ms=start_ms,
        end_ms=start_ms + 1000,
    )  # fmt: skip
    database: Database = app[DATABASE]
    async with database.write() as session:
        row = await add_segment(
            session, hearing_id, segment, event_kind="recording.segment_closed",
            event_payload={"file": name}, at=app[CLOCK].now(),
        )  # fmt: skip
    return {"id": row.id, "name": name}


async def test_segments_are_rows_listed_and_served_to_staff_only(
    app: web.Application,
    settings: Settings,
    hearing_with_parties: dict[str, Any],
    sign_in: Callable[[str], Awaitable[ApiClient]],
    new_client: Callable[[], ApiClient],
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    people = (await judge.get(f"/api/hearings/{hid}/participants")).body["participants"]
    plaintiff = next(p for p in people if p["role"] == "plaintiff")
    judge_seat = next(p for p in people if p["role"] == "judge")
    later = await _store_segment(app, settings, hid, plaintiff["id"], "video", 2, 1000)
    first = await _store_segment(app, settings, hid, judge_seat["id"], "audio", 1, 0)

    async with app[DATABASE].read() as session:
        rows = await list_segments(session, hid)
        events = await load_events(session, hid)
    assert [r.id for r in rows] == [first["id"], later["id"]]  # timeline order
    logged = [e for e in events if e.kind == "recording.segment_closed"]
    # the later segment was stored first: its event comes first
    assert [
        e.payload.count(f'"segment_id":{r.id}') for e, r in zip(logged, rows[::-1], strict=True)
    ] == [1, 1]

    listing = await judge.get(f"/api/hearings/{hid}/recording")
    assert listing.status == 200, listing.body
    assert listing.body["state"] == "stopped"
    segments = listing.body["segments"]
    assert [s["id"] for s in segments] == [first["id"], later["id"]]
    video = segments[1]
    assert video == {
        "id": later["id"], "participant_id": plaintiff["id"], "display_name": "张三",
        "role": "plaintiff", "kind": "video", "track_id": f"{plaintiff['id']}-video",
        "start_ms": 1000, "end_ms": 2000, "duration_ms": 1000, "size": len(CONTENT),
        "sha256": hashlib.sha256(CONTENT).hexdigest(), "recovered": False,
        "url": f"/api/hearings/{hid}/recording/segments/{later['id']}",
    }  # fmt: skip

    async with judge.session.get(judge.base_url + video["url"]) as whole:
        assert whole.status == 200
        assert whole.headers["Content-Type"] == "video/webm"
        assert await whole.read() == CONTENT
    ranged_headers = {"Range": "bytes=100-199"}
    async with judge.session.get(judge.base_url + video["url"], headers=ranged_headers) as part:
        assert part.status == 206
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
        assert await part.read() == CONTENT[100:200]
    async with judge.session.get(judge.base_url + segments[0]["url"]) as audio:
        assert audio.headers["Content-Type"] == "audio/webm"

    for username in ("clerk", "admin"):
        staff = await sign_in(username)
        assert (await staff.get(f"/api/hearings/{hid}/recording")).status == 200
        async with staff.session.get(staff.base_url + video["url"]) as served:
            assert served.status == 200
            assert await served.read() == CONTENT
    other_judge = await sign_in("judge2")
    assert (await other_judge.get(f"/api/hearings/{hid}/recording")).status == 403
    assert (await other_judge.get(video["url"])).status == 403

    party = new_client()
    token = hearing_with_parties["invitations"]["plaintiff"]["link"].rsplit("/", 1)[1]
    assert (await party.post("/api/party/exchange", {"token": token})).status == 200
    assert (await party.get(f"/api/hearings/{hid}/recording")).error_code == "forbidden"
    assert (await party.get(video["url"])).error_code == "forbidden"
    anonymous = new_client()
    assert (await anonymous.get(video["url"])).status == 401

    missing = await judge.get(f"/api/hearings/{hid}/recording/segments/999999")
    assert missing.error_code == "not_found"
    assert (await judge.get(f"/api/hearings/{hid}/recording/segments/x1")).status == 400
    (recordings_root(settings.data_dir) / str(hid) / first["name"]).unlink()
    gone = await judge.get(segments[0]["url"])
    assert gone.error_code == "not_found"
    assert "Traceback" not in str(gone.body)


async def test_a_segment_of_another_hearing_is_not_found_here(
    app: web.Application,
    settings: Settings,
    hearing_with_parties: dict[str, Any],
    hearing_payload: Callable[..., dict[str, Any]],
) -> None:
    judge: ApiClient = hearing_with_parties["judge"]
    hid = hearing_with_parties["hearing_id"]
    people = (await judge.get(f"/api/hearings/{hid}/participants")).body["participants"]
    stored = await _store_segment(app, settings, hid, people[0]["id"], "audio", 1, 0)
    other = await judge.post("/api/hearings", hearing_payload(case_number="(2026)京0105民初124号"))
    other_id = other.body["hearing"]["id"]
    wrong = await judge.get(f"/api/hearings/{other_id}/recording/segments/{stored['id']}")
    assert wrong.error_code == "not_found"
    assert (await judge.get(f"/api/hearings/{other_id}/recording")).body["segments"] == []
