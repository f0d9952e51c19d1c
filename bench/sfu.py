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
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
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


@dataclass
class ClientFigures:
    """What one group of synthetic clients measured in the window."""

    fps: list[float]
    aps: list[float]
    late: list[float]


async def run_clients(
    env: dict[str, str], base: str, indices: list[int], participants: int, seconds: float, *,
    record: bool, window_starts: Callable[[], Awaitable[None]],
) -> ClientFigures:  # fmt: skip
    """Set up the hearings ``indices``, wait for media everywhere, then (after
    ``window_starts``) count what arrives for ``seconds``; then time a late joiner in each."""
    clip = make_clip(8.0)
    rooms: list[Hearing] = []
    try:
        for index in indices:
            rooms.append(await setup_hearing(env, base, index, participants, clip, record=record))
        pairs = [(s, p.participant_id) for h in rooms for s in h.members for p in h.members
                 if s is not p]  # fmt: skip
        await _until(lambda: all(s.counter(p, "video").frames_after_keyframe > 15
                                 and s.counter(p, "audio").packets > 50 for s, p in pairs),
                     60, "media on every subscription")  # fmt: skip
        await window_starts()
        video0 = {(id(s), p): s.counter(p, "video").packets for s, p in pairs}
        audio0 = {(id(s), p): s.counter(p, "audio").packets for s, p in pairs}
        t0 = time.monotonic()
        await asyncio.sleep(seconds)  # the measured window
        window = time.monotonic() - t0
        fps = [(s.counter(p, "video").packets - video0[(id(s), p)]) / window for s, p in pairs]
        aps = [(s.counter(p, "audio").packets - audio0[(id(s), p)]) / window for s, p in pairs]
        late = [await late_join(base, h, clip) for h in rooms]
        return ClientFigures(fps, aps, late)
    finally:
        for room in rooms:
            for member in room.members:
                await member.peer.close()
                await member.socket.close()


def client_process(
    env: dict[str, str], base: str, indices: list[int], participants: int, seconds: float,
    record: bool, barrier: Any, results: Any,
) -> None:  # fmt: skip
    """One client group in its own process (``--client-processes``)."""

    async def window_starts() -> None:
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait, 120)

    try:
        figures = asyncio.run(run_clients(
            env, base, indices, participants, seconds, record=record, window_starts=window_starts
        ))  # fmt: skip
        results.put(("ok", figures))
    except BaseException as exc:
        barrier.abort()
        results.put(("error", f"{type(exc).__name__}: {exc}"))


async def start_server(env: dict[str, str], base: str) -> asyncio.subprocess.Process:
    await run_cli(env, "staff", "add", "--role", "judge", "--username", "judge",
                  stdin="bench-password\n")  # fmt: skip
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hearing_server.cli", "serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
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
    return server


async def bench(
    participants: int, hearings: int, seconds: float, *, record: bool = False,
    client_processes: int = 0,
) -> dict[str, Any]:  # fmt: skip
    data_dir = tempfile.mkdtemp(prefix="hearing-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HEARING_DATA_DIR": data_dir, "HEARING_PORT": str(port),
           "HEARING_PUBLIC_URL": base}  # fmt: skip
    server = await start_server(env, base)
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[f"{name}_cpu"], marks[f"{name}_t"] = proc_cpu_s(server.pid), time.monotonic()
        marks[f"{name}_rss"] = proc_rss_mb(server.pid)

    try:
        mark("start")
        if client_processes <= 0:  # the clients in this process

            async def window_starts() -> None:
                mark("window")
                asyncio.get_running_loop().call_later(seconds, mark, "end")

            figures = [await run_clients(
                env, base, list(range(hearings)), participants, seconds, record=record,
                window_starts=window_starts,
            )]  # fmt: skip
        else:
            figures = await _in_processes(
                env, base, participants, hearings, seconds, record, client_processes, mark
            )
        window = marks["end_t"] - marks["window_t"]
        fps = [f for group in figures for f in group.fps]
        aps = [a for group in figures for a in group.aps]
        late = [t for group in figures for t in group.late]
        cpu_per_s = (marks["end_cpu"] - marks["window_cpu"]) / window
        return {
            "participants": participants,
            "recording": record,
            "recorded_tracks": 2 * participants * hearings if record else 0,
            "hearings": hearings,
            "client_processes": max(client_processes, 0),
            "seconds": round(window, 2),
            "forwarded_streams": len(fps),
            "server_cpu_s_per_s": round(cpu_per_s, 4),
            "cpu_per_forwarded_av_stream": round(cpu_per_s / len(fps), 5),
            "video_fps_min": round(min(fps), 2),
            "video_fps_mean": round(statistics.fmean(fps), 2),
            "audio_pps_min": round(min(aps), 2),
            "audio_pps_mean": round(statistics.fmean(aps), 2),
            "late_joiner_first_frame_s": round(max(late), 3),
            "server_rss_mb_start": round(marks["start_rss"], 1),
            "server_rss_mb_window_start": round(marks["window_rss"], 1),
            "server_rss_mb_end": round(marks["end_rss"], 1),
            "server_rss_growth_mb_in_window": round(marks["end_rss"] - marks["window_rss"], 1),
        }
    finally:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), 20)
        except TimeoutError:
            server.kill()  # never leave a server behind
            await server.wait()


async def _in_processes(
    env: dict[str, str], base: str, participants: int, hearings: int, seconds: float,
    record: bool, processes: int, mark: Callable[[str], None],
) -> list[ClientFigures]:  # fmt: skip
    context = multiprocessing.get_context("spawn")
    groups = [list(range(hearings))[i::processes] for i in range(processes)]
    groups = [g for g in groups if g]
    barrier = context.Barrier(len(groups) + 1)
    results = context.Queue()
    workers = [
        context.Process(target=client_process, args=(
            env, base, group, participants, seconds, record, barrier, results,
        ), daemon=True)
        for group in groups
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, barrier.wait, 180)
        mark("window")
        await asyncio.sleep(seconds)
        mark("end")
        outcomes = [await loop.run_in_executor(None, partial(results.get, timeout=120))
                    for _ in workers]  # fmt: skip
    except threading.BrokenBarrierError:
        outcomes = [await loop.run_in_executor(None, partial(results.get, timeout=10))]
    finally:
        for worker in workers:
            await loop.run_in_executor(None, worker.join, 30)
            if worker.is_alive():
                worker.kill()
    errors = [detail for status, detail in outcomes if status != "ok"]
    if errors:
        raise RuntimeError(f"client process failed: {errors}")
    return [figures for _status, figures in outcomes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participants", type=int, default=4)
    parser.add_argument("--hearings", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    parser.add_argument(
        "--record", action="store_true", help="hearings in session: the server records"
    )
    parser.add_argument(
        "--client-processes", type=int, default=0,
        help="run the synthetic clients in this many processes (0: in this one)",
    )  # fmt: skip
    args = parser.parse_args()
    result = asyncio.run(bench(
        args.participants, args.hearings, args.seconds, record=args.record,
        client_processes=args.client_processes,
    ))  # fmt: skip
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
