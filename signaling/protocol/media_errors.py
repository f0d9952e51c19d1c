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


class NotAttached(MediaError):
    code = "not_attached"
