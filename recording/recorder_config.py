"""The recorder's settings and counters (plain data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RecorderConfig:
    hearing_id: str
    hearing_dir: Path
    #: ``time.monotonic()`` and ``time.time()`` at the moment the hearing's recording started
    #: (for a restart after a crash: the original start, so the timeline continues).
    origin_monotonic_s: float
    origin_epoch_s: float
    segment_s: float = 60.0
    keyframe_wait_s: float = 5.0
    queue_frames: int = 2000
    fsync_interval_s: float = 1.0
    retry_interval_s: float = 2.0
    close_timeout_s: float = 10.0
    resync_threshold_ms: int = 5000


@dataclass(slots=True)
class RecorderStats:
    frames_written: int = 0
    frames_dropped_queue: int = 0
    segments_closed: int = 0
    failed: bool = False
    abandoned_partials: list[Path] = field(default_factory=list)
