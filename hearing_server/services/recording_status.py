"""What the courtroom is told about its recording: a small pure state, no I/O.

``recording`` while the hearing in session is being written; ``paused`` with the reason (a
recess or the judge's pause); ``failed`` while the disk refuses writes (the recorder retries
and goes back to ``recording`` on its own); ``stopped`` before the session starts and after it
closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class RecordingState(StrEnum):
    RECORDING = "recording"
    PAUSED = "paused"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class RecordingStatus:
    state: RecordingState = RecordingState.STOPPED
    reason: str | None = None

    @property
    def active(self) -> bool:
        """Media is being written (or would be, but for a failing disk)."""
        return self.state in (RecordingState.RECORDING, RecordingState.FAILED)

    def started(self) -> RecordingStatus:
        return RecordingStatus(RecordingState.RECORDING)

    def paused(self, reason: str) -> RecordingStatus:
        return RecordingStatus(RecordingState.PAUSED, reason)

    def stopped(self) -> RecordingStatus:
        return RecordingStatus(RecordingState.STOPPED, "closed")

    def disk_failed(self) -> RecordingStatus:
        if self.state is RecordingState.RECORDING:
            return RecordingStatus(RecordingState.FAILED, "disk_failure")
        return self

    def disk_recovered(self) -> RecordingStatus:
        if self.state is RecordingState.FAILED:
            return RecordingStatus(RecordingState.RECORDING)
        return self

    def to_wire(self) -> dict[str, Any]:
        return {"state": self.state.value, "active": self.active, "reason": self.reason}
