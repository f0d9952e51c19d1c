"""Map one track's RTP timestamps onto the hearing's recording timeline (pure, no I/O).

The timeline is milliseconds since the hearing's recording started. Each track is anchored at
its first packet: the packet's arrival time (relative to the recording start) gives its
timeline position, and later packets advance from there by their RTP clock, which is smoother
than arrival times and keeps each track's own spacing exact. When the RTP clock and the
arrival clock disagree by more than ``resync_threshold_ms``, or the RTP clock runs back by
more than ``backward_tolerance_ms`` (a sender restarted its encoder,
the stream stalled for seconds, a new SSRC), the track is re-anchored on arrival time.
The output never goes backwards on one track, as a muxer requires.
"""

from __future__ import annotations

from dataclasses import dataclass

RTP_WRAP = 1 << 32
_HALF_WRAP = 1 << 31
DEFAULT_RESYNC_THRESHOLD_MS = 5000
DEFAULT_BACKWARD_TOLERANCE_MS = 500


class RtpUnwrapper:
    """Turn 32-bit wrapping RTP timestamps into a monotonic-ish 64-bit count."""

    def __init__(self) -> None:
        self._last_raw: int | None = None
        self._extended = 0

    def unwrap(self, rtp_timestamp: int) -> int:
        raw = rtp_timestamp % RTP_WRAP
        if self._last_raw is None:
            self._extended = raw
        else:
            step = (raw - self._last_raw) % RTP_WRAP
            if step >= _HALF_WRAP:  # backwards (reordering or a jump back): a negative step
                step -= RTP_WRAP
            self._extended += step
        self._last_raw = raw
        return self._extended


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    timeline_ms: int
    resynced: bool


class TrackTimeline:
    """The timeline position of every packet of one track."""

    def __init__(
        self,
        *,
        clock_rate: int,
        origin_s: float,
        resync_threshold_ms: int = DEFAULT_RESYNC_THRESHOLD_MS,
        backward_tolerance_ms: int = DEFAULT_BACKWARD_TOLERANCE_MS,
    ) -> None:
        if clock_rate <= 0:
            raise ValueError(f"clock rate must be positive, got {clock_rate}")
        self._clock_rate = clock_rate
        self._origin_s = origin_s
        self._threshold_ms = resync_threshold_ms
        self._backward_tolerance_ms = backward_tolerance_ms
        self._unwrapper = RtpUnwrapper()
        self._anchor_rtp: int | None = None
        self._anchor_ms = 0.0
        self._last_ms = 0
        self.resync_count = 0

    def place(self, rtp_timestamp: int, arrival_s: float) -> TimelinePoint:
        extended = self._unwrapper.unwrap(rtp_timestamp)
        arrival_ms = max(0.0, (arrival_s - self._origin_s) * 1000.0)
        resynced = False
        if self._anchor_rtp is None:
            self._anchor(extended, arrival_ms)
        else:
            by_rtp = self._position(extended)
            jumped = abs(by_rtp - arrival_ms) > self._threshold_ms
            went_back = by_rtp < self._last_ms - self._backward_tolerance_ms
            if jumped or went_back:
                self._anchor(extended, arrival_ms)
                self.resync_count += 1
                resynced = True
        timeline_ms = max(self._last_ms, round(self._position(extended)))
        self._last_ms = timeline_ms
        return TimelinePoint(timeline_ms, resynced)

    def _position(self, extended: int) -> float:
        anchor_rtp = self._anchor_rtp if self._anchor_rtp is not None else extended
        return self._anchor_ms + (extended - anchor_rtp) * 1000.0 / self._clock_rate

    def _anchor(self, extended: int, arrival_ms: float) -> None:
        self._anchor_rtp = extended
        # Never re-anchor behind what was already placed: the track's output stays monotonic.
        self._anchor_ms = max(arrival_ms, float(self._last_ms))
