"""What a publisher's RTCP sender report says, as plain data for the recording (stdlib only).

A sender report maps the sender's RTP clock to its wall clock (NTP): "RTP timestamp
``rtp_timestamp`` is the moment ``ntp_s``". A browser stamps the reports of a participant's
audio and video from one wall clock, which is what lip sync rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

NTP_FRACTION = 1 << 32


@dataclass(frozen=True, slots=True)
class SenderReport:
    rtp_timestamp: int  # 32 bits, as sent
    ntp_s: float  # the sender's wall clock, seconds since 1900 (NTP)

    @classmethod
    def from_ntp(cls, rtp_timestamp: int, ntp_timestamp: int) -> SenderReport:
        """From the report's 64-bit NTP timestamp (32.32 fixed point)."""
        return cls(rtp_timestamp & 0xFFFFFFFF, ntp_timestamp / NTP_FRACTION)
