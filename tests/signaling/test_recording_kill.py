"""Kill test: the real server, SIGKILLed mid-hearing, keeps all but the last moments on record.

The server runs in its own process; a judge and a party (synthetic aiortc participants) send
media through it while the hearing is in session; after N seconds of recording the server is
SIGKILLed and restarted on the same data folder. The recovered segments must decode cleanly
(ffmpeg as the independent checker) and cover at least N - 2 s of every track, the crash gap
must be on record, and ``hearing-server events verify`` must still pass.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from bench.synthetic import Clip, SyntheticParticipant, make_clip
from tests.recording.conftest import decode_errors
from tests.support.api import ApiClient
from tests.support.processes import ServerProcess, free_port, run_cli, server_env
from tests.support.sockets import SocketClient
from tests.support.waiting import until

pytestmark = [pytest.mark.media, pytest.mark.timeout(240)]
RECORD_S = 8.0
SEGMENT_S = 3
PASSWORD = "judge-password-1"


def busiest(peer: SyntheticParticipant, kind: str) -> int:
    return max((c.packets for c in peer.inbound.values() if c.kind == kind), default=0)


async def _hearing(env: dict[str, str]) -> dict[str, Any]:
    added = await run_cli("staff", "add", "--role", "judge", "--username", "judge",
                          env=env, stdin=PASSWORD + "\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    created = await run_cli(
        "hearing", "create", "--case-number", "(2026)京0105民初7号", "--title", "kill test",
        "--judge", "judge", "--party", "plaintiff:张三", "--json", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    result: dict[str, Any] = json.loads(created.stdout)
    return result


async def test_sigkill_mid_hearing_then_restart_recovers_the_record(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(tmp_path / "data", port, recording_segment_seconds=str(SEGMENT_S))
    created = await _hearing(env)
    hid = created["hearing"]["id"]
    token = created["invitations"][0]["link"].rsplit("/", 1)[1]
    server = ServerProcess(env, tmp_path / "server.log")
    await server.start()
    judge, party = ApiClient(server.base_url), ApiClient(server.base_url)
    sockets: list[SocketClient] = []
    peers = [SyntheticParticipant("judge", make_clip(4.0), slots=2)]
    clip: Clip = peers[0].clip  # type: ignore[assignment]
    peers.append(SyntheticParticipant("party", clip, slots=2))
    try:
        login = await judge.post("/api/auth/login", {"username": "judge", "password": PASSWORD})
        assert login.status == 200
        opened = await judge.post(f"/api/hearings/{hid}/transitions", {"action": "open_lobby"})
        assert opened.status == 200
        exchanged = await party.post("/api/party/exchange", {"token": token})
        assert exchanged.status == 200
        judge_socket = SocketClient(server.base_url, hid,
                                    cookie=f"hs_staff={judge.cookie('hs_staff')}")  # fmt: skip
        party_socket = SocketClient(server.base_url, hid,
                                    token=exchanged.body["session_token"])  # fmt: skip
        sockets += [judge_socket, party_socket]
        for socket in sockets:
            await socket.connect()
        pids = [(await judge_socket.call("join"))["you"], exchanged.body["participant_id"]]
        await judge_socket.call("admit", {"participant_id": pids[1]})
        await party_socket.wait_for("admitted")
        for socket, peer in zip(sockets, peers, strict=True):
            reply = await socket.call("offer", {"sdp": await peer.offer()})
            assert reply["ok"], reply
            await peer.accept(reply["sdp"])
        await until(lambda: all(busiest(p, k) > 30 for p in peers for k in ("audio", "video")),
                    timeout_s=30, what="media both ways")  # fmt: skip
        started = await judge.post(f"/api/hearings/{hid}/transitions", {"action": "start"})
        assert started.status == 200
        await judge_socket.wait_for("recording", lambda d: d["state"] == "recording")
        recording_since = time.monotonic()
        marks = [busiest(p, "video") for p in peers]
        await until(
            lambda: time.monotonic() - recording_since >= RECORD_S
            and all(busiest(p, "video") > m + 15 * (RECORD_S - 1) for p, m in zip(peers, marks,
                                                                                strict=True)),
            timeout_s=RECORD_S + 20, what=f"{RECORD_S} s of recorded media",
        )  # fmt: skip
        recorded_s = time.monotonic() - recording_since
        await server.kill()
    finally:
        for peer in peers:
            await peer.close()
        for socket in sockets:
            await socket.close()
        await party.close()
        await server.stop()

    restarted = ServerProcess(env, tmp_path / "server-restarted.log")
    await restarted.start()  # start-up recovery runs before the server answers
    staff = ApiClient(restarted.base_url)
    try:
        login = await staff.post("/api/auth/login", {"username": "judge", "password": PASSWORD})
        assert login.status == 200
        listing = (await staff.get(f"/api/hearings/{hid}/recording")).body
        # Still in session: the restarted server records again, on the same timeline.
        assert listing["state"] == "recording"
        events = (await staff.get(f"/api/hearings/{hid}/events")).body
    finally:
        await staff.close()
        assert await restarted.stop() == 0

    root = tmp_path / "data" / "recordings"
    covered_ms: dict[str, int] = defaultdict(int)
    hashes = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p for p in (root / str(hid)).glob("*.mkv")
    }
    for segment in listing["segments"]:
        assert segment["sha256"] in hashes, f"no file with the hash of segment {segment}"
        assert decode_errors(hashes[segment["sha256"]]) == "", segment
        covered_ms[segment["track_id"]] += segment["duration_ms"]
    assert not list((root / str(hid)).glob("*.partial"))
    tracks = {f"{pid}-{kind}" for pid in pids for kind in ("audio", "video")}
    assert set(covered_ms) == tracks
    for track, milliseconds in covered_ms.items():
        assert milliseconds >= (recorded_s - 2) * 1000, (track, milliseconds, recorded_s)
    print(
        json.dumps(
            {
                "recorded_s": round(recorded_s, 2),
                "covered_s": {t: ms / 1000 for t, ms in sorted(covered_ms.items())},
            }
        )
    )

    assert events["intact"] is True
    kinds = [e["kind"] for e in events["events"]]
    recovered = [
        e["payload"] for e in events["events"] if e["kind"] == "recording.segment_recovered"
    ]
    assert {f"{s['participant_id']}-{s['kind']}" for s in recovered} == tracks
    assert all(s["recovered"] for s in listing["segments"] if s["id"] in
               {r["segment_id"] for r in recovered})  # fmt: skip
    gaps = [e["payload"] for e in events["events"] if e["kind"] == "recording.gap"]
    crash_gaps = [g for g in gaps if g["reason"] == "crash"]
    assert {f"{g['participant_id']}-{g['kind']}" for g in crash_gaps} == tracks
    assert all(g["end_ms"] > g["start_ms"] for g in crash_gaps)
    starts = [e["payload"] for e in events["events"] if e["kind"] == "recording.started"]
    assert len(starts) == 2
    assert starts[1]["continues_timeline"] is True
    assert starts[1]["origin_epoch_ms"] == starts[0]["origin_epoch_ms"]
    restarted_at = max(i for i, kind in enumerate(kinds) if kind == "recording.started")
    assert kinds.index("recording.segment_recovered") < restarted_at  # recovered, then resumed

    verified = await run_cli("events", "verify", str(hid), env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
