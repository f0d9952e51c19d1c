"""Errors of the transcript package, rooted in one base class; mapped to wire errors at the edge."""

from __future__ import annotations


class TranscriptError(Exception):
    """Base of every error the transcript model raises on purpose; its message is safe to show."""

    code = "transcript_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(TranscriptError):
    """An argument has no valid form (empty text, bad time, negative offset, ...)."""

    code = "transcript_invalid_input"


class NotPermitted(TranscriptError):
    """The actor's role does not allow this act."""

    code = "transcript_not_permitted"


class IllegalState(TranscriptError):
    """The act is not allowed in the transcript's current state (locked, signed, ...)."""

    code = "transcript_illegal_state"


class IllegalOperation(TranscriptError):
    """The act conflicts with the record itself (already deleted, already ruled, ...)."""

    code = "transcript_illegal_operation"


class UnknownRecord(TranscriptError):
    """No entry or correction request with that id."""

    code = "transcript_unknown_record"


class InvalidDelta(TranscriptError):
    """A delta or snapshot that cannot be applied (wrong transcript, version gap, divergence)."""

    code = "transcript_invalid_delta"


class HistoryUnavailable(InvalidDelta):
    """Deltas before this replica's first known version were never seen: resync by snapshot."""

    code = "transcript_history_unavailable"


class RenderError(TranscriptError):
    code = "transcript_render_error"


class FontMissing(RenderError):
    """The CJK font needed for the PDF is not installed where configured."""

    code = "transcript_font_missing"
