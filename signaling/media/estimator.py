"""Cheaper parts for aiortc's receive-side bandwidth estimator (the REMB sent to publishers).

aiortc's ``RemoteBitrateEstimator`` runs for every video packet a publisher sends. Two of its
parts loop in Python per packet: ``RateCounter`` walks its 1 ms buckets one by one whenever time
has moved on (twice per packet), and ``OveruseEstimator.update_min_frame_period`` scans its
history element by element. ``WindowRate`` gives the same figures from a queue of the packets
in the window, and ``speed_up`` swaps both into one estimator. The estimates are unchanged
(tests/media/test_estimator.py compares them with aiortc's own).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from aiortc import rate as aiortc_rate

from signaling.media.internals import Fragment, Signature

# what speed_up replaces, as it is in aiortc 1.16 (checked by rtp_hooks.check_internals)
SIGNATURES: tuple[Signature, ...] = (
    (aiortc_rate.OveruseEstimator, "update_min_frame_period", ("self", "ts_delta")),
    (aiortc_rate.RateCounter, "add", ("self", "value", "now_ms")),
    (aiortc_rate.RateCounter, "rate", ("self", "now_ms")),
)
_ESTIMATOR = aiortc_rate.RemoteBitrateEstimator
FRAGMENTS: tuple[Fragment, ...] = (
    (_ESTIMATOR, "__init__", "self.incoming_bitrate = RateCounter(1000, 8000)"),
    (_ESTIMATOR, "add", "self.incoming_bitrate.reset()"),
    (aiortc_rate.OveruseEstimator, "__init__", "self.ts_delta_hist: list[float] = []"),
    (aiortc_rate.OveruseEstimator, "update_min_frame_period", "self.ts_delta_hist.pop(0)"),
    (aiortc_rate.RateCounter, "_erase_old", "new_origin_ms = now_ms - self._window_size + 1"),
)


class WindowRate:
    """aiortc's ``RateCounter`` (the amount received over the last ``window_size`` ms, scaled)
    with amortised O(1) updates: each packet is queued once and dropped once."""

    def __init__(self, window_size: int, scale: int = 8000) -> None:
        self._window_size = window_size
        self._scale = scale
        self._entries: deque[tuple[int, int]] = deque()  # (ms, value), oldest first
        self._origin_ms: int | None = None
        self._count = 0
        self._total = 0

    def add(self, value: int, now_ms: int) -> None:
        if self._origin_ms is None:
            self._origin_ms = now_ms
        else:
            self._erase_old(now_ms)
        self._entries.append((now_ms, value))
        self._count += 1
        self._total += value

    def rate(self, now_ms: int) -> int | None:
        if self._origin_ms is not None:
            self._erase_old(now_ms)
            active_window_size = now_ms - self._origin_ms + 1
            if self._count > 0 and active_window_size > 1:
                return round(self._scale * self._total / active_window_size)
        return None

    def reset(self) -> None:
        self._entries.clear()
        self._origin_ms = None
        self._count = 0
        self._total = 0

    def _erase_old(self, now_ms: int) -> None:
        assert self._origin_ms is not None
        new_origin_ms = now_ms - self._window_size + 1
        if self._origin_ms >= new_origin_ms:
            return
        entries = self._entries
        while entries and entries[0][0] < new_origin_ms:
            _, value = entries.popleft()
            self._count -= 1
            self._total -= value
        self._origin_ms = new_origin_ms


def _min_frame_period(estimator: aiortc_rate.OveruseEstimator) -> Any:
    history: list[float] = estimator.ts_delta_hist
    limit = aiortc_rate.MIN_FRAME_PERIOD_HISTORY_LENGTH

    def update_min_frame_period(ts_delta: float) -> float:
        if len(history) >= limit:
            history.pop(0)
        smallest = min(history, default=ts_delta)
        history.append(ts_delta)
        return min(smallest, ts_delta)

    return update_min_frame_period


def speed_up(estimator: aiortc_rate.RemoteBitrateEstimator) -> None:
    """Swap the per-packet loops of one (new) estimator for the equivalents above."""
    estimator.incoming_bitrate = WindowRate(1000, 8000)  # type: ignore[assignment]
    overuse = estimator.estimator
    overuse.update_min_frame_period = _min_frame_period(overuse)  # type: ignore[method-assign]
