from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench.synthetic import Clip, make_clip


@pytest.fixture(scope="session")
def clip() -> Clip:
    return make_clip(4.0)


def ffprobe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return dict(json.loads(out))


def decode_errors(path: Path) -> str:
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=120, check=False,
    ).stderr  # fmt: skip
