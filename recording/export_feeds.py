"""Decoded frames of one tile or one voice, continuous over the whole export timeline.

Each feed yields ``(timeline_ms, frame)`` in time order from 0 to the export's end: the
decoded frames of the participant's segments (PyAV), and where there is nothing, a filler
frame at least once a second so that the filter graph never waits on a silent input (and
never buffers minutes of the others' media): the empty tile before a participant joins and
after they leave, the placeholder inside a gap, silence for audio. Fillers are re-used frame
objects (stamped with their time only when pushed), so filling costs no pixel work.
``Prefetch`` runs a feed on its own thread: PyAV releases the GIL while decoding, so tracks
decode in parallel with the encoder.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import Any, TypeVar

import av

from recording.export_plan import GAP_TOLERANCE_MS, Interval, SegmentSpan

logger = logging.getLogger(__name__)

FILLER_SPACING_MS = 1000
AUDIO_RATE = 48_000
MILLISECONDS = Fraction(1, 1000)
SAMPLES = Fraction(1, AUDIO_RATE)
T = TypeVar("T")


def decoded(spans: Sequence[SegmentSpan], *, threads: int) -> Iterator[tuple[int, Any]]:
    """Every decoded frame of the spans with its timeline time (ms), never going back.

    A segment that fails to decode part-way is logged and left at that point."""
    last_ms = -1
    for span in spans:
        try:
            with av.open(str(span.path), "r") as container:
                stream: Any = container.streams[0]
                if stream.type == "video":
                    stream.thread_type = "AUTO"
                    stream.codec_context.thread_count = threads
                for frame in container.decode(stream):
                    if frame.pts is None or frame.time_base is None:
                        continue
                    at_ms = span.start_ms + round(float(frame.pts * frame.time_base) * 1000)
                    if at_ms <= last_ms:
                        continue
                    last_ms = at_ms
                    yield at_ms, frame
        except (av.FFmpegError, OSError) as exc:
            logger.warning("export: %s could not be decoded past %d ms: %s",
                           span.path.name, last_ms, exc)  # fmt: skip


def filler_times(start_ms: int, end_ms: int, boundaries: Sequence[int]) -> list[int]:
    """When to repeat a filler in ``[start, end)``: at the start, every second, and at each
    boundary inside (where the filler changes from empty tile to placeholder and back)."""
    times = set(range(start_ms, end_ms, FILLER_SPACING_MS))
    times.update(b for b in boundaries if start_ms < b < end_ms)
    return sorted(times)


def video_feed(
    frames: Iterator[tuple[int, Any]],
    *,
    presence: Interval,
    duration_ms: int,
    frame_ms: int,
    empty: av.VideoFrame,
    placeholder: av.VideoFrame,
) -> Iterator[tuple[int, av.VideoFrame]]:
    """The tile's pictures: recorded frames, else the placeholder (inside the participant's
    presence) or the empty tile (outside it); ends with a frame at ``duration_ms``."""
    boundaries = (presence.start_ms, presence.end_ms)

    def fill(start_ms: int, end_ms: int) -> Iterator[tuple[int, av.VideoFrame]]:
        for at_ms in filler_times(start_ms, end_ms, boundaries):
            inside = presence.start_ms <= at_ms < presence.end_ms
            yield at_ms, placeholder if inside else empty

    cursor = 0
    for at_ms, frame in frames:
        if at_ms >= duration_ms:
            break
        if at_ms > cursor + GAP_TOLERANCE_MS:
            yield from fill(cursor, at_ms)
        yield at_ms, frame
        cursor = at_ms + frame_ms
    yield from fill(cursor, duration_ms)
    last = placeholder if presence.start_ms <= duration_ms < presence.end_ms else empty
    yield duration_ms, last


def silence(seconds: int = 1) -> av.AudioFrame:
    frame = av.AudioFrame(format="fltp", layout="stereo", samples=AUDIO_RATE * seconds)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = AUDIO_RATE
    return frame


def audio_feed(
    frames: Iterator[tuple[int, Any]], *, duration_ms: int, quiet: av.AudioFrame
) -> Iterator[tuple[int, av.AudioFrame]]:
    """The voice's samples: decoded frames, a second of silence at a time in between (never
    overlapping what follows; the graph's ``aresample`` fills the rest exactly)."""
    quiet_ms = quiet.samples * 1000 // AUDIO_RATE

    def fill(start_ms: int, end_ms: int) -> Iterator[tuple[int, av.AudioFrame]]:
        at_ms = start_ms
        while at_ms + quiet_ms <= end_ms:
            yield at_ms, quiet
            at_ms += quiet_ms

    cursor = 0
    for at_ms, frame in frames:
        if at_ms >= duration_ms:
            break
        if at_ms > cursor + GAP_TOLERANCE_MS:
            yield from fill(cursor, at_ms)
        if frame.sample_rate != AUDIO_RATE:
            continue  # the recorder writes 48 kHz Opus only
        yield at_ms, frame
        cursor = at_ms + frame.samples * 1000 // AUDIO_RATE
    yield from fill(cursor, duration_ms)


def stamp(frame: T, at_ms: int, *, audio: bool) -> T:
    """Set the frame's timeline time (fillers are shared, so this happens at push time)."""
    stamped: Any = frame
    if audio:
        stamped.pts, stamped.time_base = at_ms * AUDIO_RATE // 1000, SAMPLES
    else:
        stamped.pts, stamped.time_base = at_ms, MILLISECONDS
    return frame


class _Done:
    pass


_DONE = _Done()


class Prefetch(Iterator[T]):
    """Run an iterator on its own thread, ``depth`` items ahead; ``close()`` stops it."""

    def __init__(self, source: Iterator[T], *, depth: int, name: str) -> None:
        self._queue: queue.Queue[T | _Done | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._source = source
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self._source:
                if not self._put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
            return
        self._put(_DONE)

    def _put(self, item: T | _Done | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def __next__(self) -> T:
        item = self._queue.get()
        if isinstance(item, _Done):
            self._queue.put(item)  # stays exhausted
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
