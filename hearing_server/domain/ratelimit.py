"""Failure-counting rate limiter (pure: the caller passes the time in)."""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Hashable


class FailureLimiter:
    """Allow at most ``max_failures`` failures per key in a sliding window.

    Once a key is over the limit every attempt is refused until the oldest
    failure leaves the window, so the right user gets in again after at most
    one window, and a guesser gets ``max_failures`` tries per window.
    """

    def __init__(self, *, max_failures: int, window_s: float, max_keys: int = 100_000) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_keys = max_keys
        self._failures: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def _prune(self, key: Hashable, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, key: Hashable, now: float) -> int | None:
        """Seconds until ``key`` may try again, or ``None`` if it may try now."""
        times = self._prune(key, now)
        if times is None or len(times) < self.max_failures:
            return None
        return max(1, math.ceil(times[0] + self.window_s - now))

    def record_failure(self, key: Hashable, now: float) -> None:
        times = self._prune(key, now)
        if times is None:
            times = deque()
            self._failures[key] = times
        times.append(now)
        self._failures.move_to_end(key)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def reset(self, key: Hashable) -> None:
        self._failures.pop(key, None)
