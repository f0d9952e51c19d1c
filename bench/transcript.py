"""Live transcript benchmark through the real server (its own process) and its Socket.IO.

    python -m bench.transcript [--participants 8] [--rate 10] [--seconds 60]
                               [--late-entries 5000] [--json]

1. Live: a hearing with the judge and ``participants - 1`` admitted parties connected (the
   receivers) and the clerk committing ``rate`` entries per second for ``seconds``. Each
   delta's latency is its arrival at a receiver minus the moment the clerk sent the entry
   (targets: p95 ≤ 150 ms at every receiver; no lost, duplicated or reordered entries: every
   receiver sees versions 1..N in order, and entry ids follow the clerk's sending order).
2. Late join: a second hearing whose log holds ``late-entries`` entries (mixed Chinese and
   English, written into the database before the server starts, replayed when its courtroom
   opens). A party reconnecting gets the whole transcript in the ``join`` ack; a party
   admitted late gets it with ``admitted`` (target ≤ 300 ms); then the PDF export of that
   hearing over HTTP (target ≤ 10 s; ``bench/transcript_render.py`` times the renderer alone).

Clients run in this process on one event loop, so the latencies include its own scheduling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import socketio

from bench.sfu import free_port, proc_cpu_s, run_cli
from bench.transcript_render import build as build_transcript
from hearing_server.services.hearings import get_hearing
from hearing_server.store.db import Database
from hearing_server.store.eventlog import append_event

NAMESPACE = "/hearing"
PASSWORD = "bench-password"  # noqa: S105 - a throwaway server on 127.0.0.1
WS_MAX_BYTES = 64 * 1024 * 1024  # a 5,000-entry snapshot is ~3.5 MB; aiohttp's default is 4 MB


class ClientJson:
    """The clients' JSON: orjson both ways, as fast as a browser's JSON.parse is natively."""

    loads = staticmethod(orjson.loads)

    @staticmethod
    def dumps(value: Any, **_options: Any) -> str:
        return orjson.dumps(value).decode()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Receiver:
    name: str
    client: socketio.AsyncClient
    arrivals: list[tuple[int, int, float]] = field(default_factory=list)  # version, seq, time


async def connect(base: str, hearing_id: int, *, cookie: str = "", token: str = "") -> Any:
    client = socketio.AsyncClient(
        reconnection=False, json=ClientJson, websocket_extra_options={"max_msg_size": WS_MAX_BYTES}
    )
    headers = {"Origin": base, **({"Cookie": cookie} if cookie else {})}
    auth: dict[str, Any] = {"hearing_id": hearing_id, **({"token": token} if token else {})}
    await client.connect(base, headers=headers, auth=auth, namespaces=[NAMESPACE],
                         transports=["websocket"], wait_timeout=30)  # fmt: skip
    return client


async def call(client: socketio.AsyncClient, event: str, data: Any = None) -> dict[str, Any]:
    reply = await client.call(event, data or {}, namespace=NAMESPACE, timeout=60)
    if not isinstance(reply, dict) or not reply.get("ok"):
        raise RuntimeError(f"{event} refused: {reply}")
    return reply


class Server:
    """``hearing-server serve`` in its own process, with staff and hearings made by its CLI."""

    def __init__(self) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="hearing-bench-transcript-")
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "HEARING_DATA_DIR": self.data_dir, "HEARING_PORT": str(port),
                    "HEARING_PUBLIC_URL": self.base}  # fmt: skip
        self.process: asyncio.subprocess.Process | None = None
        self.cookies: dict[str, str] = {}

    async def prepare(self) -> None:
        for role in ("judge", "clerk"):
            await run_cli(self.env, "staff", "add", "--role", role, "--username", role,
                          stdin=f"{PASSWORD}\n")  # fmt: skip

    async def hearing(self, case: str, parties: int) -> tuple[int, list[str]]:
        created = json.loads(await run_cli(
            self.env, "hearing", "create", "--case-number", case,
            "--title", "张三诉李四买卖合同纠纷", "--judge", "judge", "--clerk", "clerk",
            *[f"--party={'plaintiff' if i % 2 == 0 else 'defendant'}:当事人 {i}"
              for i in range(parties)], "--json",
        ))  # fmt: skip
        tokens = [i["link"].rsplit("/", 1)[1] for i in created["invitations"]]
        return int(created["hearing"]["id"]), tokens

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hearing_server.cli", "serve", env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(f"{self.base}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("server did not start")
                await asyncio.sleep(0.2)
            for role in ("judge", "clerk"):
                async with http.post(f"{self.base}/api/auth/login",
                                     json={"username": role, "password": PASSWORD},
                                     headers={"Origin": self.base}) as response:  # fmt: skip
                    response.raise_for_status()
                    self.cookies[role] = f"hs_staff={response.cookies['hs_staff'].value}"

    async def http(self, method: str, path: str, role: str = "judge", **kwargs: Any) -> bytes:
        headers = {"Origin": self.base, "Cookie": self.cookies[role]}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
            async with http.request(method, self.base + path, headers=headers, **kwargs) as r:
                body = await r.read()
                if r.status >= 400:
                    raise RuntimeError(f"{method} {path}: {r.status} {body[:200]!r}")
                return body

    async def exchange(self, token: str) -> str:
        body = await self.http("POST", "/api/party/exchange", json={"token": token})
        return str(json.loads(body)["session_token"])

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 20)


async def prefill_log(database_url: str, hearing_id: int, entries: int) -> int:
    """Append a long transcript's deltas to the hearing's log, as if written live."""
    transcript = build_transcript(entries)
    database = Database(database_url)
    try:
        async with database.write() as session:
            hearing = await get_hearing(session, hearing_id, lock=True)
            for delta in transcript.deltas_since(0):
                wire = delta.to_wire() | {"transcript_id": f"hearing-{hearing_id}-transcript"}
                await append_event(session, hearing, actor="staff:bench", kind=delta.kind.value,
                                   payload=wire, at=datetime.now(UTC))  # fmt: skip
    finally:
        await database.close()
    return transcript.version


async def live(server: Server, participants: int, rate: float, seconds: float) -> dict[str, Any]:
    hearing_id, tokens = await server.hearing("BENCH-LIVE", participants - 1)
    await server.http("POST", f"/api/hearings/{hearing_id}/transitions",
                      json={"action": "open_lobby"})  # fmt: skip
    judge = await connect(server.base, hearing_id, cookie=server.cookies["judge"])
    clerk = await connect(server.base, hearing_id, cookie=server.cookies["clerk"])
    receivers = [Receiver("judge", judge)]
    for index, token in enumerate(tokens):
        party = await connect(server.base, hearing_id, token=await server.exchange(token))
        you = (await call(party, "join"))["you"]
        await call(judge, "admit", {"participant_id": you})
        receivers.append(Receiver(f"party-{index}", party))
    speaker = (await call(judge, "join"))["you"]
    for receiver in receivers:

        def on_delta(delta: dict[str, Any], receiver: Receiver = receiver) -> None:
            text = delta["payload"].get("text", "")
            seq = int(text.split("#", 1)[1].split(" ", 1)[0]) if "#" in text else -1
            receiver.arrivals.append((delta["version"], seq, time.monotonic()))

        receiver.client.on("transcript_delta", on_delta, namespace=NAMESPACE)

    count = int(rate * seconds)
    sent_at: list[float] = [0.0] * count
    acks: list[asyncio.Task[dict[str, Any]]] = []
    cpu0, t0 = proc_cpu_s(server.process.pid), time.monotonic()  # type: ignore[union-attr]
    for seq in range(count):
        await asyncio.sleep(max(0.0, t0 + seq / rate - time.monotonic()))
        text = f"原告陈述 #{seq} the goods were delivered on 3 January; 货款尚未支付。"
        sent_at[seq] = time.monotonic()
        message = {"speaker_participant_id": speaker, "text": text, "media_offset_ms": seq * 100}
        acks.append(asyncio.create_task(call(clerk, "transcript_add", message)))
    replies = await asyncio.gather(*acks)
    deadline = time.monotonic() + 30
    while any(len(r.arrivals) < count for r in receivers):
        if time.monotonic() > deadline:
            break  # reported below as lost
        await asyncio.sleep(0.05)
    window = time.monotonic() - t0
    cpu = proc_cpu_s(server.process.pid) - cpu0  # type: ignore[union-attr]

    # entry ids in the clerk's sending order: the server kept the order it was given
    ids = [reply["delta"]["payload"]["entry_id"] for reply in replies]
    per_receiver: dict[str, dict[str, Any]] = {}
    all_latencies: list[float] = []
    problems: list[str] = []
    for receiver in receivers:
        versions = [version for version, _seq, _at in receiver.arrivals]
        if versions != list(range(1, count + 1)):
            problems.append(f"{receiver.name}: {len(versions)} deltas, not versions 1..{count}")
        latencies = [(at - sent_at[seq]) * 1000 for _v, seq, at in receiver.arrivals if seq >= 0]
        all_latencies += latencies
        per_receiver[receiver.name] = {
            "received": len(versions),
            "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
            "max_ms": round(max(latencies), 1) if latencies else None,
        }
    if ids != list(range(1, count + 1)):
        problems.append("entry ids do not follow the clerk's sending order")
    for client in [clerk, *(r.client for r in receivers)]:
        await client.disconnect()
    worst_p95 = max(v["p95_ms"] or 0.0 for v in per_receiver.values())
    return {
        "receivers": len(receivers),
        "entries": count,
        "rate_per_s": rate,
        "window_s": round(window, 2),
        "server_cpu_ms_per_entry": round(cpu / count * 1000, 2),
        "latency_p50_ms": round(statistics.median(all_latencies), 1),
        "latency_p95_ms_worst_receiver": worst_p95,
        "latency_p99_ms": round(percentile(all_latencies, 0.99), 1),
        "latency_max_ms": round(max(all_latencies), 1),
        "latency_target_p95_ms": 150,
        "latency_within_target": worst_p95 <= 150,
        "lost_or_reordered": problems,
        "server_cpu_s_per_s": round(cpu / window, 3),
        "per_receiver": per_receiver,
    }


async def late_join(server: Server, hearing_id: int, tokens: list[str], version: int,
                    repeats: int) -> dict[str, Any]:  # fmt: skip
    opened = time.monotonic()
    judge = await connect(server.base, hearing_id, cookie=server.cookies["judge"])
    courtroom_open_s = time.monotonic() - opened  # includes replaying the log
    reconnects: list[float] = []
    admissions: list[float] = []
    sizes: list[int] = []
    server_cpu: list[float] = []  # the server's CPU seconds for each late admission
    for token in tokens[:repeats]:
        session = await server.exchange(token)
        party = await connect(server.base, hearing_id, token=session)
        you = (await call(party, "join"))["you"]
        arrived: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        party.on("admitted", lambda data, f=arrived: f.done() or f.set_result(data),
                 namespace=NAMESPACE)  # fmt: skip
        started, cpu0 = time.monotonic(), proc_cpu_s(server.process.pid)  # type: ignore[union-attr]
        await call(judge, "admit", {"participant_id": you})
        admitted = await asyncio.wait_for(arrived, 60)
        admissions.append(time.monotonic() - started)
        server_cpu.append(proc_cpu_s(server.process.pid) - cpu0)  # type: ignore[union-attr]
        if admitted["transcript"]["version"] != version:
            raise RuntimeError("the late joiner's snapshot is not the whole transcript")
        sizes.append(len(json.dumps(admitted["transcript"], ensure_ascii=False).encode()))
        await party.disconnect()
        again = await connect(server.base, hearing_id, token=session)  # a reconnect
        started = time.monotonic()
        joined = await call(again, "join")
        reconnects.append(time.monotonic() - started)
        if len(joined["transcript"]["entries"]) != len(admitted["transcript"]["entries"]):
            raise RuntimeError("the reconnecting client's snapshot differs")
        await again.disconnect()
    await judge.disconnect()
    pid = server.process.pid  # type: ignore[union-attr]
    cpu0, started = proc_cpu_s(pid), time.monotonic()
    pdf = await server.http("GET", f"/api/hearings/{hearing_id}/transcript.pdf", role="clerk")
    pdf_s = time.monotonic() - started
    pdf_cpu_s = proc_cpu_s(pid) - cpu0
    worst = max(admissions + reconnects)
    return {
        "entries": len(admitted["transcript"]["entries"]),
        "version": version,
        "snapshot_bytes": max(sizes),
        "courtroom_open_with_replay_s": round(courtroom_open_s, 3),
        "late_admission_snapshot_ms": [round(s * 1000, 1) for s in admissions],
        "reconnect_join_snapshot_ms": [round(s * 1000, 1) for s in reconnects],
        "snapshot_median_ms": round(statistics.median(admissions + reconnects) * 1000, 1),
        "snapshot_worst_ms": round(worst * 1000, 1),
        "snapshot_target_ms": 300,
        "snapshot_within_target": worst <= 0.3,
        "late_admission_server_cpu_ms": [round(c * 1000, 1) for c in server_cpu],
        "pdf_export_http_s": round(pdf_s, 3),
        "pdf_export_server_cpu_s": round(pdf_cpu_s, 3),
        "pdf_bytes": len(pdf),
        "pdf_target_s": 10,
        "pdf_within_target": pdf_s <= 10,
    }


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    server = Server()
    try:
        await server.prepare()
        late_id, late_tokens = await server.hearing("BENCH-LATE", args.repeats)
        database_url = f"sqlite+aiosqlite:///{server.data_dir}/hearing.db"
        version = await prefill_log(database_url, late_id, args.late_entries)
        await server.start()
        await server.http("POST", f"/api/hearings/{late_id}/transitions",
                          json={"action": "open_lobby"})  # fmt: skip
        report: dict[str, Any] = {
            "load_average_1m_at_start": round(os.getloadavg()[0], 2),
            "cpu_cores": os.cpu_count(),
            "live": await live(server, args.participants, args.rate, args.seconds),
            "late_join": await late_join(server, late_id, late_tokens, version, args.repeats),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        }
        return report
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--participants", type=int, default=8, help="receivers: judge + parties")
    parser.add_argument("--rate", type=float, default=10.0, help="entries per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--late-entries", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5, help="late joiners")
    parser.add_argument("--json", action="store_true", help="compact JSON")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(bench(args)), indent=None if args.json else 2))


if __name__ == "__main__":
    main()
