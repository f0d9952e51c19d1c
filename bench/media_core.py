"""Benchmark of the forwarding engine alone: engine in this process, clients in another.

    python -m bench.media_core --participants 4 --seconds 20 --json

The parent process runs ``HearingMedia`` and answers requests from a child process that runs
the synthetic clients (``bench.synthetic``): attach, "mark" (sample this process's CPU time and
RSS from /proc) and "maps" (who is on which mid). Only the engine's CPU is in the per-stream
figure. After the measured window a late joiner arrives and its first video frame from every
publisher is timed (from sending its offer, and from its first received packet).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from signaling.media import passthrough
from signaling.media.hearing_media import HearingMedia
from signaling.protocol.media_errors import MediaError

WARMUP_S = 2.0
CONNECT_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class ProcessSample:
    """CPU seconds (user+system, all threads) and RSS of one process, read from /proc."""

    wall_s: float
    cpu_s: float
    rss_mb: float

    @classmethod
    def of(cls, pid: int | str = "self") -> ProcessSample:
        with open(f"/proc/{pid}/stat") as stat_file:
            # Fields after the parenthesised command name; utime and stime are fields 14, 15.
            fields = stat_file.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        cpu_s = (int(fields[11]) + int(fields[12])) / ticks
        rss_mb = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        return cls(time.monotonic(), cpu_s, rss_mb)


# ---- engine side (this process) ------------------------------------------------------------


async def serve_engine(conn: Connection) -> dict[str, Any]:
    """Answer the client process until it reports its results; return results and marks."""
    passthrough.install()  # as the server's composition root does
    media = HearingMedia(0)
    marks: dict[str, ProcessSample] = {"engine_start": ProcessSample.of()}
    try:
        while True:
            request: tuple[Any, ...] = await asyncio.to_thread(conn.recv)
            command = request[0]
            if command == "attach":
                try:
                    answer = await media.attach(request[1], request[2], publish=True, receive=True)
                    conn.send(("answer", answer))
                except MediaError as exc:
                    conn.send(("error", exc.message))
            elif command == "mark":
                marks[request[1]] = ProcessSample.of()
                conn.send(("ok",))
            elif command == "maps":
                maps = {
                    subscriber: {
                        mid: (t.participant_id, t.kind)
                        for mid, t in media.track_map(subscriber).items()
                    }
                    for subscriber in media.peers
                }
                conn.send(("maps", maps))
            elif command == "done":
                return {"client": request[1], "marks": marks}
            elif command == "failed":
                raise RuntimeError(f"the client process failed: {request[1]}")
            else:
                raise RuntimeError(f"unknown request {command!r}")
    finally:
        await media.close()


def summarize(participants: int, outcome: dict[str, Any]) -> dict[str, Any]:
    marks: dict[str, ProcessSample] = outcome["marks"]
    client: dict[str, Any] = outcome["client"]
    start, end = marks["start"], marks["end"]
    cpu_s_per_s = (end.cpu_s - start.cpu_s) / (end.wall_s - start.wall_s)
    streams = participants * (participants - 1)
    fps: list[float] = client["video_fps"]
    pps: list[float] = client["audio_pps"]
    late: dict[str, float] = client["late_joiner"]
    result = {
        "participants": participants,
        "seconds": round(end.wall_s - start.wall_s, 2),
        "forwarded_streams": streams,
        "engine_cpu_s_per_s": round(cpu_s_per_s, 4),
        "cpu_s_per_s_per_forwarded_stream": round(cpu_s_per_s / streams, 5),
        "video_fps": {"min": round(min(fps), 2), "mean": round(statistics.mean(fps), 2)},
        "audio_pkt_per_s": {"min": round(min(pps), 2), "mean": round(statistics.mean(pps), 2)},
        "late_joiner_first_frame_s": late,
        "engine_rss_mb": {
            "start": round(marks["engine_start"].rss_mb, 1),
            "measure_start": round(start.rss_mb, 1),
            "end": round(end.rss_mb, 1),
            "after_late_joiner": round(marks["late_joined"].rss_mb, 1),
        },
        "client_process_cpu_s_per_s": round(client["cpu_s_per_s"], 4),
    }
    result["targets_met"] = {
        "video_fps_min>=14.5": min(fps) >= 14.5,
        "audio_pkt_per_s_min>=49": min(pps) >= 49,
        "cpu_per_stream<=0.012": result["cpu_s_per_s_per_forwarded_stream"] <= 0.012,
        "late_joiner_first_frame<=0.5s": late["from_first_packet_max"] <= 0.5,
    }
    return result


# ---- client side (child process) -----------------------------------------------------------


def client_main(conn: Connection, participants: int, seconds: float) -> None:
    asyncio.run(drive_clients(conn, participants, seconds))


async def drive_clients(conn: Connection, participants: int, seconds: float) -> None:
    from bench.synthetic import SyntheticParticipant, make_clip

    async def call(*request: Any) -> tuple[Any, ...]:
        conn.send(request)
        reply: tuple[Any, ...] = await asyncio.to_thread(conn.recv)
        return reply

    async def join(pid: int) -> SyntheticParticipant:
        client = SyntheticParticipant(f"p{pid}", clip)
        reply = await call("attach", pid, await client.offer())
        if reply[0] != "answer":
            raise RuntimeError(f"participant {pid} refused: {reply[1]}")
        await client.accept(reply[1])
        return client

    async def counters() -> dict[tuple[int, int, str], Any]:
        _, maps = await call("maps")
        return {
            (subscriber, publisher, kind): clients[subscriber].counter_for(mid)
            for subscriber, table in maps.items()
            for mid, (publisher, kind) in table.items()
        }

    async def wait_for(predicate: Any, what: str) -> None:
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while not predicate():  # a bounded poll of plain counters
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            await asyncio.sleep(0.01)

    clip = make_clip(6.0)
    clients: dict[int, SyntheticParticipant] = {}
    try:
        for pid in range(1, participants + 1):
            clients[pid] = await join(pid)
        subscriptions = await counters()
        expected = participants * (participants - 1) * 2
        await wait_for(
            lambda: (
                len(subscriptions) == expected
                and all(c.packets > 5 for c in subscriptions.values())
            ),
            "media on every subscription",
        )
        await asyncio.sleep(WARMUP_S)  # let rates settle before measuring
        before = {key: c.packets for key, c in subscriptions.items()}
        own_start = ProcessSample.of()
        await call("mark", "start")
        await asyncio.sleep(seconds)  # the measured window
        await call("mark", "end")
        own_end = ProcessSample.of()
        elapsed = own_end.wall_s - own_start.wall_s
        rates = {key: (c.packets - before[key]) / elapsed for key, c in subscriptions.items()}

        late_pid = participants + 1
        asked_at = time.monotonic()
        clients[late_pid] = await join(late_pid)
        late = {key: c for key, c in (await counters()).items() if key[0] == late_pid}
        videos = [c for key, c in late.items() if key[2] == "video"]
        await wait_for(
            lambda: all(c.first_keyframe_at is not None for c in videos),
            "the late joiner's first frames",
        )
        await call("mark", "late_joined")
        first_packet_at = min(c.first_at for c in late.values() if c.first_at is not None)
        keyframe_at = [c.first_keyframe_at for c in videos if c.first_keyframe_at is not None]
        conn.send(
            (
                "done",
                {
                    "video_fps": [r for key, r in rates.items() if key[2] == "video"],
                    "audio_pps": [r for key, r in rates.items() if key[2] == "audio"],
                    "cpu_s_per_s": (own_end.cpu_s - own_start.cpu_s) / elapsed,
                    "late_joiner": {
                        "from_offer_max": round(max(keyframe_at) - asked_at, 3),
                        "from_first_packet_max": round(max(keyframe_at) - first_packet_at, 3),
                        "from_first_packet_min": round(min(keyframe_at) - first_packet_at, 3),
                    },
                },
            )
        )
    except Exception as exc:
        conn.send(("failed", repr(exc)))
        raise
    finally:
        for client in clients.values():
            await client.close()


# ---- entry point ---------------------------------------------------------------------------


def run(participants: int, seconds: float) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    engine_end, client_end = context.Pipe()
    child = context.Process(
        target=client_main, args=(client_end, participants, seconds), name="synthetic-clients"
    )
    child.start()
    client_end.close()  # so that recv() sees EOF if the child dies
    try:
        outcome = asyncio.run(asyncio.wait_for(serve_engine(engine_end), seconds + 120))
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.terminate()
    return summarize(participants, outcome)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if not 2 <= args.participants <= 7:
        parser.error("--participants must be 2..7 (the late joiner needs a free slot)")
    result = run(args.participants, args.seconds)
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0 if all(result["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
