"""Connection quality as each participant's browser measures it, for the judge's console.

Every few seconds a client reports what its own ``getStats()`` saw since the last report: the
share of inbound packets lost and the round-trip time to the server. This module is pure: it
classifies a report, throttles reporters, and keeps the last level per participant; the
namespace sends levels to the hearing's staff only (parties never learn each other's network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

MIN_REPORT_INTERVAL_S = 2.0
# Opus and VP8 stay usable below ~3 % loss; above ~10 % video freezes and speech breaks up.
FAIR_LOSS, POOR_LOSS = 0.03, 0.10
FAIR_RTT_MS, POOR_RTT_MS = 300, 800


class Level(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


def classify(loss: float, rtt_ms: int | None) -> Level:
    rtt = rtt_ms or 0
    if loss >= POOR_LOSS or rtt >= POOR_RTT_MS:
        return Level.POOR
    if loss >= FAIR_LOSS or rtt >= FAIR_RTT_MS:
        return Level.FAIR
    return Level.GOOD


@dataclass(frozen=True)
class Quality:
    participant_id: int
    level: Level
    loss: float
    rtt_ms: int | None

    def to_wire(self) -> dict[str, Any]:
        return {
            "participant_id": self.participant_id,
            "level": self.level.value,
            "loss": round(self.loss, 4),
            "rtt_ms": self.rtt_ms,
        }


@dataclass
class QualityBoard:
    """The last report of each participant in one courtroom."""

    latest: dict[int, Quality] = field(default_factory=dict)
    _last_at: dict[int, float] = field(default_factory=dict)

    def report(
        self, participant_id: int, loss: float, rtt_ms: int | None, *, now: float
    ) -> Quality | None:
        """The new level, or None when the report came too soon and was dropped (a page that
        reports too often is not an error worth a notice to its user)."""
        last = self._last_at.get(participant_id)
        if last is not None and now - last < MIN_REPORT_INTERVAL_S:
            return None
        self._last_at[participant_id] = now
        quality = Quality(participant_id, classify(loss, rtt_ms), loss, rtt_ms)
        self.latest[participant_id] = quality
        return quality

    def forget(self, participant_id: int) -> None:
        self.latest.pop(participant_id, None)
        self._last_at.pop(participant_id, None)

    def to_wire(self) -> list[dict[str, Any]]:
        return [quality.to_wire() for quality in self.latest.values()]
