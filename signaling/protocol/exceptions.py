"""Signaling errors: one base class; the code and message go to that client only."""

from __future__ import annotations


class SignalingError(Exception):
    code = "signaling_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadMessage(SignalingError):
    code = "bad_message"


class NotAllowed(SignalingError):
    code = "not_allowed"


class WrongState(SignalingError):
    code = "wrong_state"


class UnknownParticipant(SignalingError):
    code = "unknown_participant"


class TooSoon(NotAllowed):
    code = "too_soon"
