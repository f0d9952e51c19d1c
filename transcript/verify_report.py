"""What the bundle verifier found: one line per check, and the failures, each naming its file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def ok(self, message: str) -> None:
        self.lines.append(f"OK    {message}")

    def fail(self, path: str, message: str) -> None:
        line = f"{path}: {message}"
        self.failures.append(line)
        self.lines.append(f"FAIL  {line}")


def read_json(data: bytes) -> Any:
    return json.loads(data.decode("utf-8"))
