"""Map one track's RTP timestamps onto the hearing's recording timeline (pure, no I/O).

The timeline is milliseconds since the hearing's recording started (server clock). Once the
sender's reports are known (``sender_clock``), a frame is placed where the sender's clock puts
it: its RTP timestamp through the track's ``SenderMapping`` to the sender's time, plus the
participant's ``ParticipantClock`` offset to the server's clock. Audio and video of one
participant then keep the sender's lip sync, a late first packet shifts nothing, and RTP time
the sender's clock says was lost (capture glitches) stays lost rather than being counted
away.

Until a track's first report (and whenever its mapping is unknown: a new publication, RTP
that no longer fits the mapping) the track is placed provisionally by arrival: anchored at the
arrival time of its first packet, then advanced by its RTP clock. When the reports arrive the
provisional frames are corrected: the caller says how far back they may move
(``movable_back_ms``, e.g. the open segment they are all in) and the point says how far they
moved (``moved_ms``). In arrival mode, when the RTP clock and the arrival clock disagree by
more than ``resync_threshold_ms``, or RTP runs back by more than ``backward_tolerance_ms``, the
track is re-anchored on arrival time. The output never goes backwards on one track, as a muxer
requires.
"""

from __future__ import annotations

from dataclasses import dataclass

from hearing_server.domain.sender_report import SenderReport
from recording.sender_clock import ParticipantClock, SenderMapping

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
        self._extended = self.nearby(rtp_timestamp)
        self._last_raw = rtp_timestamp % RTP_WRAP
        return self._extended

    def nearby(self, rtp_timestamp: int) -> int:
        """The unwrapped value of ``rtp_timestamp`` nearest the last one (state unchanged)."""
        raw = rtp_timestamp % RTP_WRAP
        if self._last_raw is None:
            return raw
        step = (raw - self._last_raw) % RTP_WRAP
        if step >= _HALF_WRAP:  # backwards (reordering or a jump back): a negative step
            step -= RTP_WRAP
        return self._extended + step


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    timeline_ms: int
    resynced: bool
    moved_ms: int = 0  # how far the track's provisional frames moved (see the module doc)


class TrackTimeline:
    """The timeline position of every packet of one track."""

    def __init__(
        self,
        *,
        clock_rate: int,
        origin_s: float,
        resync_threshold_ms: int = DEFAULT_RESYNC_THRESHOLD_MS,
        backward_tolerance_ms: int = DEFAULT_BACKWARD_TOLERANCE_MS,
        clock: ParticipantClock | None = None,
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
        self._clock = clock if clock is not None else ParticipantClock()
        self.mapping = SenderMapping(clock_rate)
        self._report: SenderReport | None = None
        #: where the frames placed by arrival since the last placement by the sender's clock
        #: begin (None while placing by the sender's clock, or before the first frame)
        self.provisional_since_ms: int | None = None
        self.resync_count = 0

    def place(
        self,
        rtp_timestamp: int,
        arrival_s: float,
        report: SenderReport | None = None,
        *,
        movable_back_ms: int | None = None,
    ) -> TimelinePoint:
        """``report``: the latest sender report of the frame's publication (None before its
        first); ``movable_back_ms``: how far the provisional frames may move back (None: they
        cannot move at all)."""
        extended = self._unwrapper.unwrap(rtp_timestamp)
        arrival_ms = max(0.0, (arrival_s - self._origin_s) * 1000.0)
        resynced = self._take_report(report)
        sender_s = self.mapping.sender_time(extended)
        if sender_s is not None:
            known_s = self._clock.offset_s
            if known_s is None or abs(self._ms(sender_s + known_s) - arrival_ms) <= (
                self._threshold_ms
            ):
                ideal_ms = self._ms(sender_s + self._clock.observe(arrival_s, sender_s))
                return self._by_senders_clock(extended, ideal_ms, resynced, movable_back_ms)
            self.mapping.clear()  # RTP moved away from the reports (a restart): wait for new
            resynced = True
        return self._by_arrival(extended, arrival_ms, resynced)

    def _take_report(self, report: SenderReport | None) -> bool:
        """Learn from a new report; True when the track's mapping had to start again."""
        if report is None:
            if self._report is None:
                return False
            # A new publication on this track (a reconnect): its reports are still to come.
            self._report = None
            self.mapping.clear()
            return True
        if report == self._report:
            return False
        self._report = report
        if self.mapping.add(self._unwrapper.nearby(report.rtp_timestamp), report.ntp_s):
            self._clock.reset()  # a restart or a clock step: relearn where the sender is
            return True
        return False

    def _by_senders_clock(
        self, extended: int, ideal_ms: float, resynced: bool, movable_back_ms: int | None
    ) -> TimelinePoint:
        moved_ms = 0
        if self.provisional_since_ms is not None:
            if movable_back_ms is not None:
                # The provisional frames move by what the reports say this one was off by.
                correction = round(ideal_ms - self._position(extended))
                moved_ms = max(correction, -movable_back_ms)
                self._last_ms = max(0, self._last_ms + moved_ms)
            self.provisional_since_ms = None
        if resynced:
            self.resync_count += 1
        timeline_ms = max(self._last_ms, round(ideal_ms))
        self._last_ms = timeline_ms
        return TimelinePoint(timeline_ms, resynced, moved_ms)

    def _by_arrival(self, extended: int, arrival_ms: float, resynced: bool) -> TimelinePoint:
        if self._anchor_rtp is None or self.provisional_since_ms is None:
            # The first frame, or the first after placing by the sender's clock.
            self._anchor(extended, arrival_ms)
            self.provisional_since_ms = round(self._anchor_ms)
        else:
            by_rtp = self._position(extended)
            jumped = abs(by_rtp - arrival_ms) > self._threshold_ms
            went_back = by_rtp < self._last_ms - self._backward_tolerance_ms
            if jumped or went_back or resynced:
                self._anchor(extended, arrival_ms)
                resynced = True
        if resynced:
            self.resync_count += 1
        timeline_ms = max(self._last_ms, round(self._position(extended)))
        self._last_ms = timeline_ms
        return TimelinePoint(timeline_ms, resynced)

    def _ms(self, server_s: float) -> float:
        return (server_s - self._origin_s) * 1000.0

    def _position(self, extended: int) -> float:
        anchor_rtp = self._anchor_rtp if self._anchor_rtp is not None else extended
        return self._anchor_ms + (extended - anchor_rtp) * 1000.0 / self._clock_rate

    def _anchor(self, extended: int, arrival_ms: float) -> None:
        self._anchor_rtp = extended
        # Never re-anchor behind what was already placed: the track's output stays monotonic.
        self._anchor_ms = max(arrival_ms, float(self._last_ms))
