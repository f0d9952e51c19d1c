"""Run the real ``hearing-server`` command in a subprocess, bounded in time."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass


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
