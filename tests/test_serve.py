"""The README's run command: ``hearing-server serve`` with embedded defaults, no other service."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_starts_with_sqlite_under_the_data_folder(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARING_")}
    env["HEARING_PORT"] = str(port)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hearing_server.cli", "serve",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as client:
            status = None
            for _ in range(100):  # bounded: at most ~20 s
                try:
                    async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                        status = response.status
                        break
                except aiohttp.ClientConnectionError:
                    assert process.returncode is None, "server exited early"
                    await asyncio.sleep(0.2)
            assert status == 200
        assert (tmp_path / "data" / "hearing.db").is_file()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 0, output.decode()
    assert f"http://127.0.0.1:{port}" in output.decode()


async def test_serve_off_loopback_without_a_public_url_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARING_")}
    env["HEARING_PORT"] = str(_free_port())
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hearing_server.cli", "serve", "--host", "0.0.0.0",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _output, errors = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 2
    message = errors.decode()
    assert "0.0.0.0 is reachable from other machines" in message
    assert "HEARING_PUBLIC_URL" in message
    assert not (tmp_path / "data").exists()  # refused before touching anything
