"""Errors of the recording package, rooted in one base class."""

from __future__ import annotations


class RecordingError(Exception):
    """Base of every error the recording package raises on purpose."""

    code = "recording_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidFrame(RecordingError):
    """An encoded frame record that cannot be recorded (unknown kind, bad clock rate, ...)."""

    code = "recording_invalid_frame"


class DiskFailure(RecordingError):
    """Writing a segment failed at the operating-system level (ENOSPC, EIO, ...)."""

    code = "recording_disk_failure"

    def __init__(self, message: str, *, errno: int | None, path: str) -> None:
        super().__init__(message)
        self.errno = errno
        self.path = path


class MuxFailure(RecordingError):
    """The muxer rejected a packet or a stream for a reason other than the disk."""

    code = "recording_mux_failure"


class UnreadableSegment(RecordingError):
    """A segment left by a crash cannot be demuxed or has no usable metadata."""

    code = "recording_unreadable_segment"


class NothingToExport(RecordingError):
    """The hearing has no recorded segment to export."""

    code = "nothing_recorded"


class ExportFailed(RecordingError):
    """A segment could not be read or the export could not be written."""

    code = "export_failed"
