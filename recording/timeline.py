"""One hearing timeline: every track's RTP time mapped onto ms since the recording started."""

from __future__ import annotations

from dataclasses import dataclass

RESYNC_THRESHOLD_MS = 2000


@dataclass
class TrackClock:
    """Anchors a track at its first packet's arrival, then follows its RTP clock.

    If RTP time and arrival time drift apart by more than two seconds (a new connection after
    a reconnect restarts RTP at zero; a long freeze), the track is re-anchored on arrival.
    """

    recording_start_s: float
    anchor_ms: int | None = None
    anchor_pts: int = 0
    last_ms: int = -1

    def to_ms(self, pts: int, clock_rate: int, arrival_s: float) -> int:
        arrival_ms = round((arrival_s - self.recording_start_s) * 1000)
        if self.anchor_ms is None:
            self._anchor(pts, arrival_ms)
        assert self.anchor_ms is not None
        rtp_ms = self.anchor_ms + (pts - self.anchor_pts) * 1000 // clock_rate
        if abs(rtp_ms - arrival_ms) > RESYNC_THRESHOLD_MS or rtp_ms <= self.last_ms - 1000:
            self._anchor(pts, arrival_ms)
            rtp_ms = arrival_ms
        rtp_ms = max(rtp_ms, self.last_ms + 1) if self.last_ms >= 0 else rtp_ms
        self.last_ms = rtp_ms
        return rtp_ms

    def _anchor(self, pts: int, arrival_ms: int) -> None:
        self.anchor_ms = max(arrival_ms, self.last_ms + 1)
        self.anchor_pts = pts
