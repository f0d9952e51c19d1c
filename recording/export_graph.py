"""The libavfilter graphs of the export (built through PyAV, run by FFmpeg's C code).

Video, per tile: ``buffer → scale (fit) → pad → fps`` into ``xstack`` (the grid), then ``pad``
to the picture size, one ``overlay`` per name label (shown while the participant is present)
and one for the clock, fed a new picture each second. Audio, per voice:
``abuffer → aresample (async: silence where the timestamps jump) → apad → atrim`` into
``amix`` (summed, not averaged: mostly one person speaks at a time) → 1024-sample frames for AAC.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
from av.filter import Graph

from recording.export_layout import Tile, enable_expression, grid_offset, xstack_layout
from recording.export_plan import Interval

AUDIO_RATE = 48_000
AAC_FRAME_SAMPLES = 1024


@dataclass
class VideoGraph:
    graph: Graph
    tiles: list[Any]  # buffer sources, one per tile
    labels: list[Any]  # buffer sources, one picture each
    clock: Any
    sink: Any


@dataclass
class AudioGraph:
    graph: Graph
    voices: list[Any] = field(default_factory=list)
    sink: Any = None


def _chain(graph: Graph, *nodes: Any) -> Any:
    for upstream, downstream in itertools.pairwise(nodes):
        upstream.link_to(downstream)
    return nodes[-1]


def build_video_graph(
    *,
    tiles: Sequence[Tile],
    width: int,
    height: int,
    fps: int,
    labels: Sequence[tuple[av.VideoFrame, Interval]],
    clock_size: tuple[int, int],
    threads: int,
) -> VideoGraph:
    graph = Graph()
    graph.threads = threads
    left, top = grid_offset(tiles, width, height)
    sources, stacked = [], []
    for index, tile in enumerate(tiles):
        source = graph.add_buffer(
            width=tile.width, height=tile.height, format=av.VideoFormat("yuv420p"),
            time_base=Fraction(1, 1000), name=f"tile{index}",
        )  # fmt: skip
        scale = graph.add(
            "scale", f"{tile.width}:{tile.height}:force_original_aspect_ratio=decrease"
        )
        pad = graph.add("pad", f"{tile.width}:{tile.height}:(ow-iw)/2:(oh-ih)/2:color=black")
        rate = graph.add("fps", f"fps={fps}:start_time=0")
        stacked.append(_chain(graph, source, scale, pad, rate))
        sources.append(source)
    if len(tiles) > 1:
        stack = graph.add("xstack", inputs=str(len(tiles)), layout=xstack_layout(tiles),
                          fill="black")  # fmt: skip
        for index, node in enumerate(stacked):
            node.link_to(stack, 0, index)
    else:
        stack = stacked[0]
    picture = _chain(graph, stack, graph.add("pad", f"{width}:{height}:{left}:{top}:color=black"))
    label_sources = []
    for index, (frame, shown) in enumerate(labels):
        tile = tiles[index]
        source = graph.add_buffer(width=frame.width, height=frame.height,
                                  format=av.VideoFormat("rgba"), time_base=Fraction(1, 1000),
                                  name=f"label{index}")  # fmt: skip
        x = left + tile.x + 8
        y = top + tile.y + tile.height - frame.height - 8
        overlay = graph.add("overlay", x=str(x), y=str(y), enable=enable_expression([shown]))
        picture.link_to(overlay, 0, 0)
        source.link_to(overlay, 0, 1)
        picture = overlay
        label_sources.append(source)
    clock = graph.add_buffer(width=clock_size[0], height=clock_size[1],
                             format=av.VideoFormat("rgba"), time_base=Fraction(1, 1000),
                             name="clock")  # fmt: skip
    overlay = graph.add("overlay", "x=8:y=8")
    picture.link_to(overlay, 0, 0)
    clock.link_to(overlay, 0, 1)
    sink = _chain(graph, overlay, graph.add("format", "yuv420p"), graph.add("buffersink"))
    graph.configure()
    return VideoGraph(graph, sources, label_sources, clock, sink)


def build_audio_graph(*, voices: int, duration_ms: int) -> AudioGraph:
    graph = Graph()
    seconds = f"{duration_ms / 1000:.3f}"
    outputs = []
    sources = []
    for index in range(voices):
        source = graph.add_abuffer(
            sample_rate=AUDIO_RATE, format="fltp", layout="stereo",
            time_base=Fraction(1, AUDIO_RATE), name=f"voice{index}",
        )  # fmt: skip
        outputs.append(_chain(
            graph, source,
            graph.add("aresample", f"{AUDIO_RATE}:async=1:min_hard_comp=0.02:first_pts=0"),
            graph.add("apad", f"whole_dur={seconds}"),
            graph.add("atrim", f"end={seconds}"),
        ))  # fmt: skip
        sources.append(source)
    if not outputs:
        outputs.append(_chain(graph, graph.add("anullsrc", f"r={AUDIO_RATE}:cl=stereo"),
                              graph.add("atrim", f"end={seconds}")))  # fmt: skip
    if len(outputs) > 1:
        mixed = graph.add("amix", inputs=str(len(outputs)), normalize="0", duration="longest",
                          dropout_transition="0")  # fmt: skip
        for index, node in enumerate(outputs):
            node.link_to(mixed, 0, index)
    else:
        mixed = outputs[0]
    sink = _chain(
        graph, mixed,
        graph.add("aformat", f"sample_fmts=fltp:sample_rates={AUDIO_RATE}:channel_layouts=stereo"),
        graph.add("asetnsamples", f"n={AAC_FRAME_SAMPLES}:p=0"),
        graph.add("abuffersink"),
    )  # fmt: skip
    graph.configure()
    return AudioGraph(graph, sources, sink)
