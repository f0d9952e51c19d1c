"""Exports of the live transcript through the real server: JSON + hash, WebVTT, text, PDF."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from hearing_server.domain.canonical import canonical_json
from hearing_server.services.transcript_store import load_transcript
from hearing_server.web.keys import COURTROOMS, DATABASE
from tests.support.api import ApiClient
from tests.support.sockets import SocketClient
from tests.transcript.vtt_parser import parse_vtt

FFMPEG = Path("/usr/bin/ffmpeg")
PDFTOTEXT = Path("/usr/bin/pdftotext")
Room = dict[str, Any]
ENTRIES = (
    ("plaintiff", 1_500, "原告：我方请求被告支付货款十万元。"),
    ("defendant", 9_250, "Defendant: the goods were never delivered."),
    ("judge", 61_000, "审判员：双方对送货单有无异议？"),
)


async def _hearing_with_entries(
    room: Room, sign_in: Callable[[str], Awaitable[ApiClient]]
) -> tuple[ApiClient, SocketClient, SocketClient]:
    """Both parties admitted, three entries, a stage change, one correction refused."""
    judge = room["open_socket"]()
    await judge.connect()
    clerk_api = await sign_in("clerk")
    clerk = room["open_socket"](cookie=f"hs_staff={clerk_api.cookie('hs_staff')}")
    await clerk.connect()
    speakers = {"judge": room["judge_pid"]}
    parties: dict[str, SocketClient] = {}
    for role in ("plaintiff", "defendant"):
        parties[role] = room["open_socket"](as_party=role)
        await parties[role].connect()
        speakers[role] = room["parties"][role]["participant_id"]
        assert (await judge.call("admit", {"participant_id": speakers[role]}))["ok"] is True
        await parties[role].wait_for("admitted")
    for index, (role, offset, text) in enumerate(ENTRIES):
        if index == 2:
            assert (await judge.call("set_stage", {"stage": "evidence"}))["ok"] is True
        added = await clerk.call(
            "transcript_add",
            {"speaker_participant_id": speakers[role], "text": text, "media_offset_ms": offset},
        )
        assert added["ok"] is True, added
    filed = await parties["defendant"].call(
        "transcript_correction",
        {"entry_id": 2, "proposed_text": "Defendant: delivered late.", "reason": "misheard"},
    )
    assert filed["ok"] is True, filed
    ruled = await clerk.call(
        "transcript_rule", {"correction_id": 1, "accept": False, "note": "与录音不符"}
    )
    assert ruled["ok"] is True, ruled
    return clerk_api, parties["plaintiff"], judge


async def test_staff_get_the_canonical_record_and_its_hash(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], app: web.Application
) -> None:
    clerk_api, _party, _judge = await _hearing_with_entries(courtroom, sign_in)
    hid = courtroom["hearing_id"]
    live = app[COURTROOMS].rooms[hid].transcript

    reply = await clerk_api.get(f"/api/hearings/{hid}/transcript")
    assert reply.status == 200, reply.body
    assert reply.body["version"] == live.version == 5
    assert reply.body["state"] == "drafting"
    assert reply.body["sha256"] == live.canonical_sha256()
    assert canonical_json(reply.body["transcript"]) == live.canonical_bytes()

    raw = await clerk_api.session.get(
        f"{clerk_api.base_url}/api/hearings/{hid}/transcript.json",
        headers={"Origin": clerk_api.base_url},
    )
    body = await raw.read()
    assert raw.status == 200
    assert body == live.canonical_bytes()
    assert raw.headers["X-Transcript-SHA256"] == hashlib.sha256(body).hexdigest()
    assert "attachment" in raw.headers["Content-Disposition"]

    # the function other modules call gives the same record
    loaded = await load_transcript(app[DATABASE], hid)
    assert loaded.canonical_sha256() == live.canonical_sha256()
    assert loaded.snapshot() == live.snapshot()


async def test_parties_and_strangers_are_refused(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], new_client: Any
) -> None:
    await _hearing_with_entries(courtroom, sign_in)
    hid = courtroom["hearing_id"]
    party = new_client()
    token = courtroom["parties"]["plaintiff"]["session_token"]
    party.bearer = token
    other_judge = await sign_in("judge2")
    for suffix in ("", ".json", ".vtt", ".txt", ".pdf"):
        assert (await party.get(f"/api/hearings/{hid}/transcript{suffix}")).status == 403
        assert (await other_judge.get(f"/api/hearings/{hid}/transcript{suffix}")).status == 403
        anonymous = await new_client().get(f"/api/hearings/{hid}/transcript{suffix}")
        assert anonymous.status == 401
    judge: ApiClient = courtroom["judge"]
    missing = await judge.get("/api/hearings/999999/transcript.vtt")
    assert missing.status == 404
    bad = await judge.get(f"/api/hearings/{hid}/transcript.txt?lang=fr")
    assert (bad.status, bad.error_code) == (400, "invalid_request")


async def _download(client: ApiClient, path: str, tmp_path: Path, name: str) -> Path:
    async with client.session.get(
        client.base_url + path, headers={"Origin": client.base_url}
    ) as response:
        assert response.status == 200, await response.text()
        target = tmp_path / name
        target.write_bytes(await response.read())
        return target


@pytest.mark.skipif(not FFMPEG.exists(), reason="ffmpeg not installed")
async def test_webvtt_export_parses_and_ffmpeg_reads_it(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], tmp_path: Path
) -> None:
    clerk_api, _party, _judge = await _hearing_with_entries(courtroom, sign_in)
    hid = courtroom["hearing_id"]
    path = await _download(clerk_api, f"/api/hearings/{hid}/transcript.vtt", tmp_path, "t.vtt")
    cues = parse_vtt(path.read_text(encoding="utf-8"))
    assert [(c.start_ms, c.voice, c.text) for c in cues] == [
        (1_500, "张三", ENTRIES[0][2]),
        (9_250, "Li Si", ENTRIES[1][2]),  # the refused correction left the text as it was
        (61_000, "Judge", ENTRIES[2][2]),
    ]
    command = [str(FFMPEG), "-nostdin", "-v", "error", "-i", str(path)]
    check = subprocess.run(
        [*command, "-map", "0:s", "-c", "copy", "-f", "null", "-"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert (check.returncode, check.stderr) == (0, "")
    srt = subprocess.run(
        [*command, "-f", "srt", "-"], capture_output=True, text=True, timeout=30, check=True
    )
    assert len(re.findall(r"^\d{2}:\d{2}:\d{2},\d{3} --> ", srt.stdout, re.MULTILINE)) == 3
    assert ENTRIES[0][2] in srt.stdout and ENTRIES[1][2] in srt.stdout


async def test_text_export_has_header_stages_and_corrections(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]]
) -> None:
    clerk_api, _party, _judge = await _hearing_with_entries(courtroom, sign_in)
    hid = courtroom["hearing_id"]
    text = (await clerk_api.get(f"/api/hearings/{hid}/transcript.txt")).body
    assert isinstance(text, str)
    assert text.startswith("Hearing Server Court\n庭审笔录\n案号：(2026)京0105民初123号\n")
    assert "当事人：原告 张三；被告 Li Si" in text
    assert "【核对当事人身份】" in text and "【举证质证】" in text
    assert "[00:00:01] 张三 (原告)：原告：我方请求被告支付货款十万元。" in text
    assert "处理意见：与录音不符" in text
    english = (await clerk_api.get(f"/api/hearings/{hid}/transcript.txt?lang=en")).body
    assert "Parties: Plaintiff 张三; Defendant Li Si" in english
    assert "[Evidence]" not in english and "【Evidence】" in english


@pytest.mark.skipif(not PDFTOTEXT.exists(), reason="poppler-utils not installed")
async def test_pdf_export_holds_the_chinese_and_english_entries(
    courtroom: Room, sign_in: Callable[[str], Awaitable[ApiClient]], tmp_path: Path
) -> None:
    clerk_api, _party, _judge = await _hearing_with_entries(courtroom, sign_in)
    hid = courtroom["hearing_id"]
    path = await _download(clerk_api, f"/api/hearings/{hid}/transcript.pdf", tmp_path, "t.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    extracted = subprocess.run(
        [str(PDFTOTEXT), "-enc", "UTF-8", str(path), "-"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    for _role, _offset, text in ENTRIES:
        assert text in extracted
    for header in ("Hearing Server Court", "(2026)京0105民初123号", "张三诉李四买卖合同纠纷",
                   "原告 张三", "【举证质证】"):  # fmt: skip
        assert header in extracted
