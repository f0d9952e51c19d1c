"""A disk that fails on demand: the injected fault for recording tests (ENOSPC, EIO)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from recording.segment_writer import RawSink


class FailingDisk:
    """Files that raise ``OSError(err)`` once the disk has taken ``budget`` bytes in total."""

    def __init__(self, budget: int, err: int) -> None:
        self.budget = budget
        self.err = err
        self.lock = threading.Lock()

    def open(self, path: Path) -> RawSink:
        return FailingFile(self, open(path, "xb", buffering=0))


class FailingFile:
    def __init__(self, disk: FailingDisk, raw: RawSink) -> None:
        self.disk, self.raw = disk, raw

    def write(self, data: bytes | memoryview, /) -> int | None:
        with self.disk.lock:
            if len(data) > self.disk.budget:
                raise OSError(self.disk.err, os.strerror(self.disk.err))
            self.disk.budget -= len(data)
        return self.raw.write(data)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def fileno(self) -> int:
        return self.raw.fileno()

    def close(self) -> None:
        self.raw.close()


class SwitchableDisk(FailingDisk):
    """Works until ``fill()``: then every write fails with ``err``; ``free()`` heals it."""

    def __init__(self, err: int) -> None:
        super().__init__(budget=UNLIMITED, err=err)

    def fill(self) -> None:
        with self.lock:
            self.budget = 0

    def free(self) -> None:
        with self.lock:
            self.budget = UNLIMITED


UNLIMITED = 1 << 62


class StallingDisk(FailingDisk):
    """Writes block while ``stall()`` is in effect (a hung disk), up to ``max_stall_s``."""

    def __init__(self, max_stall_s: float = 30.0) -> None:
        super().__init__(budget=UNLIMITED, err=0)
        self.flowing = threading.Event()
        self.flowing.set()
        self.max_stall_s = max_stall_s

    def open(self, path: Path) -> RawSink:
        return StallingFile(self, open(path, "xb", buffering=0))

    def stall(self) -> None:
        self.flowing.clear()

    def release(self) -> None:
        self.flowing.set()


class StallingFile(FailingFile):
    def __init__(self, disk: StallingDisk, raw: RawSink) -> None:
        super().__init__(disk, raw)
        self.stalling = disk

    def write(self, data: bytes | memoryview, /) -> int | None:
        self.stalling.flowing.wait(self.stalling.max_stall_s)
        return self.raw.write(data)
