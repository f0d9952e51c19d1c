"""Media errors, rooted in one base class; the message is safe to show the client."""

from __future__ import annotations


class MediaError(Exception):
    code = "media_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadSdp(MediaError):
    code = "bad_sdp"


class NegotiationFailed(MediaError):
    code = "negotiation_failed"


# What a client is told when aiortc refuses an offer the checks let through (or negotiation
# times out): always this sentence; aiortc's own text goes to the server's log only.
NEGOTIATION_FAILED = "the offer could not be negotiated; send a new offer from a new connection"


class NotAttached(MediaError):
    code = "not_attached"
