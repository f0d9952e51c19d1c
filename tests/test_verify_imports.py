"""The offline verifier loads no database, web or media stack (it needs only the bundle's zip).

Checked on what Python really imports (``-X importtime``), in a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# ffmpeg decodes the recording for ``--decode``, in its own process: PyAV is never needed.
HEAVY = frozenset({"sqlalchemy", "sqlmodel", "aiohttp", "aiortc", "socketio", "engineio", "av"})


def imported_packages(*args: str) -> set[str]:
    path = os.environ.get("PYTHONPATH")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert "transcript.manifest" in modules, "the import log was not read"
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize(
    "command",
    [
        ("-m", "hearing_server.cli", "verify", "--help"),
        ("-m", "transcript.verify", "--help"),
    ],
    ids=["hearing-server verify", "python -m transcript.verify"],
)
def test_the_verifier_imports_no_database_web_or_media_stack(command: tuple[str, ...]) -> None:
    assert imported_packages(*command) & HEAVY == set()


def test_serving_still_loads_them() -> None:
    # The same reading sees the heavy stacks where they belong, so the check above can fail.
    loaded = imported_packages("-c", "import hearing_server.app, transcript.verify")
    assert {"sqlalchemy", "aiohttp", "socketio", "aiortc"} <= loaded
