"""Recording errors, rooted in one base class."""

from __future__ import annotations


class RecordingError(Exception):
    pass


class RecoveryFailed(RecordingError):
    pass
