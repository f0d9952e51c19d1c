"""Export a hearing's recording as one MP4: the grid, names, clock, mixed audio, chapters,
subtitles (H.264 + AAC, ``faststart``). See docs/recording.md, "Export".

The segments are decoded with PyAV on one thread per track; the frames go, in timeline
order, into libavfilter graphs (``export_graph``); the graphs' output is encoded on the
calling thread (libx264 uses its own threads) and muxed. Audio runs on its own thread.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import os
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from recording import export_labels as labels
from recording.exceptions import ExportFailed
from recording.export_feeds import (
    Prefetch,
    audio_feed,
    decoded,
    silence,
    stamp,
    video_feed,
)
from recording.export_graph import AudioGraph, VideoGraph, build_audio_graph, build_video_graph
from recording.export_layout import grid
from recording.export_plan import ExportPlan

logger = logging.getLogger(__name__)

Progress = Callable[[float], None]
MILLISECONDS = Fraction(1, 1000)
PREFETCH_FRAMES = 48


@dataclass(frozen=True, slots=True)
class VideoSettings:
    width: int = 1280
    height: int = 720
    fps: int = 15
    preset: str = "veryfast"
    crf: int = 23
    audio_bit_rate: int = 128_000
    decoder_threads: int = 2
    filter_threads: int = 2
    encoder_threads: int = 0  # libx264's own choice
    font: Path = labels.DEFAULT_FONT
    label_size: int = 22
    clock_size: int = 24


def _no_progress(_fraction: float) -> None:
    return None


class _Muxer:
    """The output file; the video and the audio thread mux through one lock."""

    def __init__(self, out: Path, plan: ExportPlan, settings: VideoSettings) -> None:
        self.container: Any = av.open(str(out), "w", format="mp4",
                                      options={"movflags": "+faststart"})  # fmt: skip
        self.container.metadata["title"] = plan.title
        video = self.container.add_stream("libx264", rate=settings.fps)
        video.width, video.height, video.pix_fmt = settings.width, settings.height, "yuv420p"
        video.codec_context.gop_size = settings.fps * 10
        video.codec_context.thread_count = settings.encoder_threads
        video.options = {"preset": settings.preset, "crf": str(settings.crf)}
        audio = self.container.add_stream("aac", rate=48_000, layout="stereo")
        audio.bit_rate = settings.audio_bit_rate
        self.video, self.audio = video, audio
        self.subtitles = (
            self.container.add_mux_stream("mov_text", time_base=MILLISECONDS)
            if plan.cues else None
        )  # fmt: skip
        if plan.chapters:
            self.container.set_chapters([
                {"id": index + 1, "start": c.start_ms, "end": c.end_ms,
                 "time_base": MILLISECONDS, "metadata": {"title": c.title}}
                for index, c in enumerate(plan.chapters)
            ])  # fmt: skip
        self.lock = threading.Lock()

    def mux(self, packets: Any) -> None:
        with self.lock:
            self.container.mux(packets)

    def write_subtitles(self, plan: ExportPlan) -> None:
        if self.subtitles is None:
            return
        for cue in plan.cues:
            text = cue.text.encode("utf-8")[:65_000]
            packet = av.Packet(struct.pack(">H", len(text)) + text)
            packet.pts = packet.dts = cue.start_ms
            packet.duration = cue.end_ms - cue.start_ms
            packet.time_base = MILLISECONDS
            packet.stream = self.subtitles
            self.mux(packet)

    def close(self) -> None:
        self.container.close()


def export_video(
    plan: ExportPlan,
    out: Path,
    *,
    settings: VideoSettings | None = None,
    progress: Progress | None = None,
) -> None:
    """Write the hearing's MP4 to ``out`` (through ``out.partial``, renamed when complete)."""
    settings = settings or VideoSettings()
    report = progress or _no_progress
    partial = out.with_name(out.name + ".partial")
    muxer = _Muxer(partial, plan, settings)
    try:
        muxer.write_subtitles(plan)
        audio = _AudioThread(plan, muxer)
        audio.start()
        try:
            _VideoRun(plan, settings, muxer, report).run()
        finally:
            audio.join()
        if audio.error is not None:
            raise audio.error
        muxer.close()
    except BaseException:
        _discard(muxer, partial)
        raise
    os.replace(partial, out)
    report(1.0)


def _discard(muxer: _Muxer, partial: Path) -> None:
    try:
        muxer.close()
    except Exception:  # the file is being thrown away; its trailer does not matter
        logger.debug("export: closing a failed output", exc_info=True)
    partial.unlink(missing_ok=True)


class _AudioThread(threading.Thread):
    def __init__(self, plan: ExportPlan, muxer: _Muxer) -> None:
        super().__init__(name=f"export-audio-{plan.hearing_id}", daemon=True)
        self.plan, self.muxer = plan, muxer
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:
            self.error = exc if isinstance(exc, ExportFailed) else ExportFailed(f"audio: {exc}")

    def _run(self) -> None:
        plan = self.plan
        voices = [tile for tile in plan.tiles if tile.audio]
        audio_graph = build_audio_graph(voices=len(voices), duration_ms=plan.duration_ms)
        quiet = silence()
        feeds = [
            audio_feed(decoded(tile.audio, threads=1), duration_ms=plan.duration_ms, quiet=quiet)
            for tile in voices
        ]
        _run_in_order(feeds, audio_graph.voices, audio=True,
                      drain=lambda: self._drain(audio_graph), stop=self.stop)  # fmt: skip
        self._drain(audio_graph, final=True)
        self.muxer.mux(self.muxer.audio.encode(None))

    def _drain(self, audio_graph: AudioGraph, *, final: bool = False) -> bool:
        encoder = self.muxer.audio
        while True:
            try:
                frame = audio_graph.sink.pull()
            except (BlockingIOError, av.BlockingIOError):
                return True
            except (EOFError, av.EOFError):
                return False
            frame.time_base = Fraction(1, 48_000)
            self.muxer.mux(encoder.encode(frame))


def _run_in_order(
    feeds: list[Iterator[tuple[int, Any]]],
    sources: list[Any],
    *,
    audio: bool,
    drain: Callable[[], bool],
    stop: threading.Event,
    extra: Iterator[tuple[int, int, Any]] | None = None,
    extra_sources: list[Any] | None = None,
) -> None:
    """Push every feed's frames into its source in global time order, draining as we go."""
    order = itertools.count()
    heap: list[tuple[int, int, int, Any]] = []

    def advance(index: int) -> None:
        item = next(feeds[index], None)
        if item is None:
            sources[index].push(None)
        else:
            heapq.heappush(heap, (item[0], next(order), index, item[1]))

    for index in range(len(feeds)):
        advance(index)
    while heap and not stop.is_set():
        at_ms, _, index, frame = heapq.heappop(heap)
        sources[index].push(stamp(frame, at_ms, audio=audio))
        advance(index)
        if not drain():
            return


class _VideoRun:
    def __init__(
        self, plan: ExportPlan, settings: VideoSettings, muxer: _Muxer, report: Progress
    ) -> None:
        self.plan, self.settings, self.muxer, self.report = plan, settings, muxer, report
        self.total_frames = max(1, round(plan.duration_ms * settings.fps / 1000))
        self.encoded = 0
        self.reported = -1.0
        self.time_base = Fraction(1, settings.fps)

    def run(self) -> None:
        plan, settings = self.plan, self.settings
        tiles = grid(len(plan.tiles), settings.width, settings.height)
        label_font = labels.load_font(settings.font, settings.label_size)
        clock_font = labels.load_font(settings.font, settings.clock_size)
        name_frames = [
            (labels.label_frame(t.label.name, t.label.role, label_font), t.presence)
            for t in plan.tiles
        ]
        clock_canvas = labels.clock_canvas(plan.title, clock_font)
        video_graph = build_video_graph(
            tiles=tiles, width=settings.width, height=settings.height, fps=settings.fps,
            labels=name_frames, clock_size=clock_canvas, threads=settings.filter_threads,
        )  # fmt: skip
        for source, (frame, _shown) in zip(video_graph.labels, name_frames, strict=True):
            source.push(stamp(frame, 0, audio=False))
            source.push(None)
        frame_ms = 1000 // settings.fps
        feeds: list[Iterator[tuple[int, Any]]] = []
        prefetchers: list[Prefetch[tuple[int, Any]]] = []
        for index, (tile, placement) in enumerate(zip(plan.tiles, tiles, strict=True)):
            empty = labels.card(placement.width, placement.height, "", label_font)
            placeholder = labels.card(placement.width, placement.height, plan.no_video_text,
                                      label_font)  # fmt: skip
            feed = video_feed(
                decoded(tile.video, threads=settings.decoder_threads), presence=tile.presence,
                duration_ms=plan.duration_ms, frame_ms=frame_ms, empty=empty,
                placeholder=placeholder,
            )  # fmt: skip
            prefetch = Prefetch(feed, depth=PREFETCH_FRAMES, name=f"export-tile-{index}")
            prefetchers.append(prefetch)
            feeds.append(prefetch)
        feeds.append(self._clock(clock_canvas, clock_font))
        sources = [*video_graph.tiles, video_graph.clock]
        try:
            _run_in_order(feeds, sources, audio=False, drain=lambda: self._drain(video_graph),
                          stop=threading.Event())  # fmt: skip
            self._drain(video_graph)
        finally:
            for prefetch in prefetchers:
                prefetch.close()
        self.muxer.mux(self.muxer.video.encode(None))

    def _clock(self, canvas: tuple[int, int], font: Any) -> Iterator[tuple[int, Any]]:
        seconds = math.ceil(self.plan.duration_ms / 1000) + 1
        for second in range(seconds):
            epoch = self.plan.origin_epoch_s + second
            frame = labels.clock_frame(self.plan.title, epoch, self.plan.utc_offset_minutes,
                                       font, canvas)  # fmt: skip
            yield second * 1000, frame

    def _drain(self, video_graph: VideoGraph) -> bool:
        while True:
            try:
                frame = video_graph.sink.pull()
            except (BlockingIOError, av.BlockingIOError):
                return True
            except (EOFError, av.EOFError):
                return False
            if self.encoded >= self.total_frames:
                continue
            frame.pts = self.encoded
            frame.time_base = self.time_base
            self.muxer.mux(self.muxer.video.encode(frame))
            self.encoded += 1
            done = self.encoded / self.total_frames
            if done - self.reported >= 0.01:
                self.reported = done
                self.report(min(done, 0.999))
