"""Where a sender's own clock puts its frames (pure, no I/O).

Browsers send RTCP sender reports: "RTP timestamp R of this stream is the moment T of my
wall clock". One browser stamps its audio and its video from the same wall clock, so two
frames mapped through their streams' reports are placed as the sender captured them, whatever
happened on the way (a late first packet, a loaded server, lost audio callbacks).

- ``SenderMapping`` (per track) turns an RTP timestamp into the sender's time, through the
  latest report and the RTP rate measured between reports: a browser counts audio samples,
  so when its capture loses audio the RTP clock runs slow against the wall clock, and the
  reports show it. A report that disagrees with the mapping by more than ``jump_s`` (an
  encoder restart, a clock step) starts a new mapping.
- ``ParticipantClock`` (per participant, shared by its tracks) is the distance between the
  sender's clock and the server's: the smallest (arrival − sender time) of its frames over a
  sliding window. Delays on the way only add, so the smallest is the frame that waited least;
  the window lets it follow a slow drift between the two clocks.
"""

from __future__ import annotations

import math
from collections import deque

DEFAULT_HISTORY_S = 30.0  # reports kept to measure the RTP rate
MIN_RATE_SPAN_S = 4.0  # the rate is measured over at least this much sender time
MAX_RATE_ERROR = 0.05  # a measured rate further than 5 % from nominal is not believed
DEFAULT_JUMP_S = 0.5
DEFAULT_WINDOW_S = 10.0
BUCKET_S = 1.0


class SenderMapping:
    """One track's RTP clock (unwrapped) → its sender's wall clock, in seconds."""

    def __init__(
        self,
        clock_rate: int,
        *,
        history_s: float = DEFAULT_HISTORY_S,
        jump_s: float = DEFAULT_JUMP_S,
    ) -> None:
        self._nominal = float(clock_rate)
        self._history_s = history_s
        self._jump_s = jump_s
        self._reports: deque[tuple[int, float]] = deque()  # (RTP unwrapped, sender time)
        self._rate = self._nominal
        self.jumps = 0

    @property
    def known(self) -> bool:
        return bool(self._reports)

    @property
    def rate(self) -> float:
        return self._rate

    def clear(self) -> None:
        self._reports.clear()
        self._rate = self._nominal

    def add(self, rtp: int, sender_s: float) -> bool:
        """Take one report; True when it does not fit the mapping so far (which it then
        replaces). Reports older than the latest are ignored."""
        reports = self._reports
        if reports:
            last_rtp, last_s = reports[-1]
            if sender_s <= last_s:
                return False
            predicted = self.sender_time(rtp)
            if predicted is None or abs(predicted - sender_s) > self._jump_s or rtp < last_rtp:
                self.clear()
                self.jumps += 1
                reports.append((rtp, sender_s))
                return True
        reports.append((rtp, sender_s))
        while len(reports) > 2 and sender_s - reports[0][1] > self._history_s:
            reports.popleft()
        first_rtp, first_s = reports[0]
        span_s = sender_s - first_s
        if span_s >= MIN_RATE_SPAN_S:
            measured = (rtp - first_rtp) / span_s
            if abs(measured / self._nominal - 1.0) <= MAX_RATE_ERROR:
                self._rate = measured
        return False

    def sender_time(self, rtp: int) -> float | None:
        if not self._reports:
            return None
        last_rtp, last_s = self._reports[-1]
        return last_s + (rtp - last_rtp) / self._rate


class ParticipantClock:
    """Server clock − sender clock for one participant (seconds), from its frames' arrivals."""

    def __init__(self, *, window_s: float = DEFAULT_WINDOW_S) -> None:
        self._buckets: deque[tuple[int, float]] = deque()  # (bucket index, smallest sample)
        self._window_buckets = max(1, math.ceil(window_s / BUCKET_S))
        self._offset_s: float | None = None

    @property
    def offset_s(self) -> float | None:
        return self._offset_s

    def reset(self) -> None:
        """The sender's clock jumped: what was learnt no longer holds."""
        self._buckets.clear()
        self._offset_s = None

    def observe(self, arrival_s: float, sender_s: float) -> float:
        """One frame that arrived at ``arrival_s`` (server clock), sent at ``sender_s``
        (sender clock); returns the offset now believed."""
        sample = arrival_s - sender_s
        index = math.floor(arrival_s / BUCKET_S)
        buckets = self._buckets
        if buckets and buckets[-1][0] == index:
            if sample < buckets[-1][1]:
                buckets[-1] = (index, sample)
        else:
            buckets.append((index, sample))
        expired = False
        while buckets and buckets[0][0] <= index - self._window_buckets:
            buckets.popleft()
            expired = True
        if expired or self._offset_s is None or sample < self._offset_s:
            self._offset_s = min(smallest for _, smallest in buckets)
        return self._offset_s
