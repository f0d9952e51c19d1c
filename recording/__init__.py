"""Crash-safe recording of a hearing's encoded media (no decoding, no re-encoding).

``HearingRecorder`` writes each published track into rotating Matroska segments from its own
thread behind a bounded inbox; ``recover_hearing`` remuxes segments a crash left open;
``TrackTimeline`` maps RTP time onto milliseconds since the recording started.
See docs/recording.md.
"""

from recording import records
from recording.exceptions import (
    DiskFailure,
    InvalidFrame,
    MuxFailure,
    RecordingError,
    UnreadableSegment,
)
from recording.records import *  # noqa: F403  (the record types: records.__all__)
from recording.recovery import QuarantinedFile, RecoveryReport, recover_hearing, recover_partial
from recording.timeline import TrackTimeline
from recording.writer_thread import HearingRecorder, RecorderConfig

__all__ = [
    "DiskFailure",
    "HearingRecorder",
    "InvalidFrame",
    "MuxFailure",
    "QuarantinedFile",
    "RecorderConfig",
    "RecordingError",
    "RecoveryReport",
    "TrackTimeline",
    "UnreadableSegment",
    "recover_hearing",
    "recover_partial",
]
__all__ += records.__all__
