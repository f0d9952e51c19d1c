"""End-to-end forwarding benchmark through the real server and its signaling.

    python -m bench.sfu --participants 4 --hearings 1 --seconds 20 --json

Starts ``hearing-server serve`` in its own process (SQLite in a temporary data dir), creates
the hearings with the CLI, and runs synthetic participants in this process: each publishes a
pre-encoded 640x360 15 fps VP8 clip (~600 kbps) and Opus, joins over Socket.IO, is admitted
by the judge and subscribes to everyone else. CPU and RSS are read from /proc for the server
process only. After the measured window one more participant joins each hearing and its first
keyframe from every publisher is timed from the moment it sent its offer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.synthetic import Clip, InboundCounter, SyntheticParticipant, make_clip
from tests.support.sockets import SocketClient

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_mb(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_cli(env: dict[str, str], *args: str, stdin: str = "") -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hearing_server.cli", *args, env=env,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), 60)
    if process.returncode != 0:
        raise RuntimeError(f"hearing-server {' '.join(args)} failed: {err.decode()}")
    return out.decode()


@dataclass
class Member:
    participant_id: int
    socket: SocketClient
    peer: SyntheticParticipant
    slots: dict[int, dict[str, str]] = field(default_factory=dict)

    def counter(self, publisher: int, kind: str) -> InboundCounter:
        return self.peer.counter_for(self.slots.get(publisher, {}).get(f"{kind}_mid", "?"))

    def learn(self, slots: list[dict[str, Any]]) -> None:
        for slot in slots:
            self.slots[slot["participant_id"]] = slot


@dataclass
class Hearing:
    hearing_id: int
    judge: Member
    parties: list[Member]
    late_token: str

    @property
    def members(self) -> list[Member]:
        return [self.judge, *self.parties]


async def _until(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _join(base: str, hearing_id: int, clip: Clip, *, cookie: str = "",
                token: str = "") -> Member:  # fmt: skip
    sock = SocketClient(base, hearing_id, cookie=cookie or None, token=token or None)
    await sock.connect()
    joined = await sock.call("join")
    return Member(joined["you"], sock, SyntheticParticipant(f"p{joined['you']}", clip, slots=7))


async def _negotiate(member: Member) -> None:
    reply = await member.socket.call("offer", {"sdp": await member.peer.offer()})
    if not reply.get("ok"):
        raise RuntimeError(f"offer refused: {reply}")
    member.learn(reply["slots"])
    await member.peer.accept(reply["sdp"])


def _listen_track_maps(member: Member) -> None:
    async def on_map(data: dict[str, Any]) -> None:
        member.learn(data["slots"])

    member.socket.sio.on("track_map", on_map, namespace="/hearing")


async def setup_hearing(env: dict[str, str], base: str, index: int, participants: int,
                        clip: Clip, *, record: bool) -> Hearing:  # fmt: skip
    parties = [f"--party=plaintiff:Party {index}-{i}" for i in range(participants)]
    created = json.loads(await run_cli(
        env, "hearing", "create", "--case-number", f"BENCH-{index}", "--title", "bench",
        "--judge", "judge", *parties, "--json",
    ))  # fmt: skip
    hearing_id = created["hearing"]["id"]
    tokens = [i["link"].rsplit("/", 1)[1] for i in created["invitations"]]
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[base])
    async with aiohttp.ClientSession(cookie_jar=jar, headers={"Origin": base}) as http:
        async with http.post(
            f"{base}/api/auth/login", json={"username": "judge", "password": "bench-password"}
        ) as r:
            r.raise_for_status()
            cookie = f"hs_staff={r.cookies['hs_staff'].value}"
        async with http.post(
            f"{base}/api/hearings/{hearing_id}/transitions", json={"action": "open_lobby"}
        ) as r:
            r.raise_for_status()
        if record:  # in session: the server records every published track
            async with http.post(
                f"{base}/api/hearings/{hearing_id}/transitions", json={"action": "start"}
            ) as r:
                r.raise_for_status()
        exchanged = []
        for token in tokens:
            async with http.post(f"{base}/api/party/exchange", json={"token": token}) as r:
                r.raise_for_status()
                exchanged.append((await r.json())["session_token"])
    judge = await _join(base, hearing_id, clip, cookie=cookie)
    # participants-1 parties now; the last invitation is the late joiner
    parties_now = [await _join(base, hearing_id, clip, token=t) for t in exchanged[:-1]]
    for member in [judge, *parties_now]:
        _listen_track_maps(member)
    for member in parties_now:
        await judge.socket.call("admit", {"participant_id": member.participant_id})
    for member in [judge, *parties_now]:
        await _negotiate(member)
    return Hearing(hearing_id, judge, parties_now, exchanged[-1])


async def late_join(base: str, hearing: Hearing, clip: Clip) -> float:
    member = await _join(base, hearing.hearing_id, clip, token=hearing.late_token)
    _listen_track_maps(member)
    await hearing.judge.socket.call("admit", {"participant_id": member.participant_id})
    sent = time.monotonic()
    await _negotiate(member)
    publishers = [m.participant_id for m in hearing.members]
    try:
        await _until(
            lambda: all(member.counter(p, "video").first_keyframe_at for p in publishers),
            15, "late joiner keyframes",
        )  # fmt: skip
    except TimeoutError as exc:
        seen = {p: member.counter(p, "video") for p in publishers}
        raise TimeoutError(f"{exc}: {seen}, slots {member.slots}") from None
    latest = max(member.counter(p, "video").first_keyframe_at or 0 for p in publishers)
    hearing.parties.append(member)
    return latest - sent


async def bench(
    participants: int, hearings: int, seconds: float, *, record: bool = False
) -> dict[str, Any]:
    clip = make_clip(8.0)
    data_dir = tempfile.mkdtemp(prefix="hearing-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HEARING_DATA_DIR": data_dir, "HEARING_PORT": str(port),
           "HEARING_PUBLIC_URL": base}  # fmt: skip
    await run_cli(env, "staff", "add", "--role", "judge", "--username", "judge",
                  stdin="bench-password\n")  # fmt: skip
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hearing_server.cli", "serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    rooms: list[Hearing] = []
    try:
        async with aiohttp.ClientSession() as http:

            async def up() -> bool:
                try:
                    async with http.get(f"{base}/healthz") as r:
                        return r.status == 200
                except aiohttp.ClientError:
                    return False

            deadline = time.monotonic() + 30
            while not await up():
                if time.monotonic() > deadline:
                    raise TimeoutError("server did not start")
                await asyncio.sleep(0.2)
        rss_start = proc_rss_mb(server.pid)
        for index in range(hearings):
            rooms.append(await setup_hearing(env, base, index, participants, clip, record=record))
        pairs = [(h, s, p.participant_id) for h in rooms for s in h.members for p in h.members
                 if s is not p]  # fmt: skip
        await _until(lambda: all(s.counter(p, "video").frames_after_keyframe > 15
                                 and s.counter(p, "audio").packets > 50 for _h, s, p in pairs),
                     30, "media on every subscription")  # fmt: skip
        video0 = {(id(s), p): s.counter(p, "video").packets for _h, s, p in pairs}
        audio0 = {(id(s), p): s.counter(p, "audio").packets for _h, s, p in pairs}
        rss_window_start = proc_rss_mb(server.pid)
        cpu0, t0 = proc_cpu_s(server.pid), time.monotonic()
        await asyncio.sleep(seconds)  # the measured window
        cpu1, t1 = proc_cpu_s(server.pid), time.monotonic()
        window = t1 - t0
        fps = [(s.counter(p, "video").packets - video0[(id(s), p)]) / window for _h, s, p in pairs]
        aps = [(s.counter(p, "audio").packets - audio0[(id(s), p)]) / window for _h, s, p in pairs]
        rss_end = proc_rss_mb(server.pid)
        late = [await late_join(base, h, clip) for h in rooms]
        cpu_per_s = (cpu1 - cpu0) / window
        return {
            "participants": participants,
            "recording": record,
            "recorded_tracks": 2 * participants * hearings if record else 0,
            "hearings": hearings,
            "seconds": round(window, 2),
            "forwarded_streams": len(pairs),
            "server_cpu_s_per_s": round(cpu_per_s, 4),
            "cpu_per_forwarded_av_stream": round(cpu_per_s / len(pairs), 5),
            "video_fps_min": round(min(fps), 2),
            "video_fps_mean": round(statistics.fmean(fps), 2),
            "audio_pps_min": round(min(aps), 2),
            "audio_pps_mean": round(statistics.fmean(aps), 2),
            "late_joiner_first_frame_s": round(max(late), 3),
            "server_rss_mb_start": round(rss_start, 1),
            "server_rss_mb_window_start": round(rss_window_start, 1),
            "server_rss_mb_end": round(rss_end, 1),
            "server_rss_growth_mb_in_window": round(rss_end - rss_window_start, 1),
        }
    finally:
        for room in rooms:
            for member in room.members:
                await member.peer.close()
                await member.socket.close()
        server.terminate()
        await asyncio.wait_for(server.wait(), 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=4)
    parser.add_argument("--hearings", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument(
        "--record", action="store_true", help="hearings in session: the server records"
    )
    args = parser.parse_args()
    result = asyncio.run(bench(args.participants, args.hearings, args.seconds, record=args.record))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
