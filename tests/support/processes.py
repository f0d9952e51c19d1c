"""Run the real ``hearing-server`` command (CLI or server) in a subprocess, bounded in time."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


async def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", timeout_s: float = 60
) -> Completed:
    full_env = {**os.environ, **(env or {})}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hearing_server.cli", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=full_env,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Completed(process.returncode, out.decode(), err.decode())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(data_dir: Path, port: int, **settings: str) -> dict[str, str]:
    """A clean ``HEARING_*`` environment: SQLite under ``data_dir``, 127.0.0.1:``port``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARING_")}
    env.update(HEARING_DATA_DIR=str(data_dir), HEARING_PORT=str(port),
               HEARING_HOST="127.0.0.1", HEARING_PUBLIC_URL=f"http://127.0.0.1:{port}")  # fmt: skip
    env.update({f"HEARING_{k.upper()}": v for k, v in settings.items()})
    return env


class ServerProcess:
    """``hearing-server serve`` in its own process (output in ``log_path``), bounded waits."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.base_url = env["HEARING_PUBLIC_URL"]
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, timeout_s: float = 30) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hearing_server.cli", "serve", env=self.env,
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as client:
            while True:
                if self.process.returncode is not None:
                    raise AssertionError(f"server exited early: {self.log_path.read_text()}")
                try:
                    async with client.get(f"{self.base_url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"server not up within {timeout_s} s")
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the process dies."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 10)

    async def stop(self, timeout_s: float = 30) -> int:
        """SIGINT (a clean shutdown); SIGKILL if it takes longer than ``timeout_s``."""
        process = self.process
        if process is None or process.returncode is not None:
            return process.returncode if process and process.returncode is not None else 0
        process.send_signal(signal.SIGINT)
        try:
            return await asyncio.wait_for(process.wait(), timeout_s)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise AssertionError(f"server did not stop within {timeout_s} s") from None
