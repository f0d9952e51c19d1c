"""Benchmark: export a synthetic 4-participant hearing, and ffmpeg doing the same composite.

``python -m bench.export [--minutes 10] [--participants 4]`` records real VP8/Opus media
through ``HearingRecorder`` (offline, see ``bench.synthetic_recording``), then, in the same
run and back to back so that the machine's load affects both, times:

- ``ours``: ``recording.export_video.export_video`` (PyAV decode, libavfilter grid, labels,
  clock, mixed audio, libx264 + AAC MP4);
- ``ffmpeg``: the ``ffmpeg`` command line on the same segment files (concat demuxer per
  track) with the equivalent ``fps``/``scale``/``pad``/``xstack`` + ``drawtext`` (names and
  clock) + ``amix`` graph and the same encoder settings.

Prints JSON: wall and CPU seconds of each, real-time factors and ``ours / ffmpeg``.
Targets: ours ≥ 4x real time, ours ≤ 1.3x ffmpeg.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.synthetic_recording import Attendance, make_clip, record_hearing
from recording.export_labels import DEFAULT_FONT
from recording.export_layout import grid, grid_offset
from recording.export_plan import ExportPlan, ParticipantLabel, make_plan
from recording.export_sources import recorded_segments
from recording.export_video import VideoSettings, export_video

NAMES = [("1", "王法官", "审判员"), ("2", "李书记员", "书记员"), ("3", "张三", "原告"),
         ("4", "李四", "被告"), ("5", "王五", "证人"), ("6", "赵六", "诉讼代理人")]  # fmt: skip


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def build_recording(directory: Path, participants: int, seconds: float) -> dict[str, Any]:
    people = [
        Attendance(NAMES[i][0], make_clip(10.0, shade=30 + 40 * i, tone_hz=300 + 110 * i),
                   join_s=0.2 + 0.1 * i, leave_s=seconds)
        for i in range(participants)
    ]  # fmt: skip
    result = record_hearing(directory, people, segment_s=60.0)
    return {"seconds_taken": round(result.seconds_taken, 2), "segments": len(result.segments)}


def ffmpeg_command(plan: ExportPlan, settings: VideoSettings, out: Path, work: Path) -> list[str]:
    """The same composite as ours, as an ffmpeg filter graph, inputs through concat lists."""
    inputs: list[str] = []
    video_labels, audio_labels, chains = [], [], []
    tiles = grid(len(plan.tiles), settings.width, settings.height)
    left, top = grid_offset(tiles, settings.width, settings.height)
    font = str(settings.font).replace(":", r"\:")
    for index, (tile, place) in enumerate(zip(plan.tiles, tiles, strict=True)):
        for kind, spans in (("v", tile.video), ("a", tile.audio)):
            listing = work / f"{tile.label.participant_id}-{kind}.txt"
            listing.write_text("".join(f"file '{span.path}'\n" for span in spans))
            inputs += ["-f", "concat", "-safe", "0", "-i", str(listing)]
            number = inputs.count("-i") - 1
            if kind == "v":
                chains.append(
                    f"[{number}:v]scale={place.width}:{place.height}:force_original_aspect_ratio"
                    f"=decrease,pad={place.width}:{place.height}:(ow-iw)/2:(oh-ih)/2,"
                    f"fps={settings.fps}[v{index}]"
                )
                video_labels.append(f"[v{index}]")
            else:
                audio_labels.append(f"[{number}:a]")
    layout = "|".join(f"{t.x}_{t.y}" for t in tiles)
    texts = []
    for tile, place in zip(plan.tiles, tiles, strict=True):
        label = f"{tile.label.name} · {tile.label.role}"
        texts.append(
            f"drawtext=fontfile={font}:text='{label}':fontsize={settings.label_size}"
            f":fontcolor=white:box=1:boxcolor=black@0.6:x={left + place.x + 8}"
            f":y={top + place.y + place.height - 40}"
        )
    epoch = int(plan.origin_epoch_s + plan.utc_offset_minutes * 60)
    texts.append(
        f"drawtext=fontfile={font}:fontsize={settings.clock_size}:fontcolor=white:box=1"
        f":boxcolor=black@0.6:x=8:y=8:text='{plan.title}  "
        f"%{{pts\\:gmtime\\:{epoch}\\:%Y-%m-%d %H\\\\\\:%M\\\\\\:%S}} UTC+08\\:00'"
    )
    graph = ";".join([
        *chains,
        "".join(video_labels) + f"xstack=inputs={len(video_labels)}:layout={layout}:fill=black,"
        + f"pad={settings.width}:{settings.height}:{left}:{top}," + ",".join(texts) + "[v]",
        "".join(audio_labels) + f"amix=inputs={len(audio_labels)}:normalize=0[a]",
    ])  # fmt: skip
    return [
        "ffmpeg", "-y", "-v", "error", *inputs, "-filter_complex", graph,
        "-map", "[v]", "-map", "[a]", "-t", f"{plan.duration_ms / 1000:.3f}",
        "-c:v", "libx264", "-preset", settings.preset, "-crf", str(settings.crf),
        "-g", str(settings.fps * 10), "-pix_fmt", "yuv420p", "-r", str(settings.fps),
        "-c:a", "aac", "-b:a", str(settings.audio_bit_rate), "-ar", "48000",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def time_ours(plan: ExportPlan, settings: VideoSettings, out: Path) -> dict[str, float]:
    wall, cpu = time.perf_counter(), self_cpu_s()
    export_video(plan, out, settings=settings)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": self_cpu_s() - cpu}


def time_ffmpeg(command: list[str]) -> dict[str, float]:
    wall, cpu = time.perf_counter(), children_cpu_s()
    subprocess.run(command, check=True, timeout=3600)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": children_cpu_s() - cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--participants", type=int, default=4, choices=range(1, 7))
    parser.add_argument("--keep", type=Path, help="keep the recording and outputs here")
    args = parser.parse_args(argv)
    seconds = args.minutes * 60
    settings = VideoSettings()
    with tempfile.TemporaryDirectory(prefix="bench-export-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        recording = build_recording(work / "recording", args.participants, seconds)
        plan = make_plan(
            hearing_id="1", title="(2026)京0105民初123号",
            recorded=recorded_segments(work / "recording"),
            labels=[ParticipantLabel(*NAMES[i]) for i in range(args.participants)],
        )  # fmt: skip
        command = ffmpeg_command(plan, settings, work / "ffmpeg.mp4", work)
        ours = time_ours(plan, settings, work / "ours.mp4")
        theirs = time_ffmpeg(command)
    media_s = plan.duration_ms / 1000
    result = {
        "participants": args.participants,
        "media_s": round(media_s, 1),
        "recording": recording,
        "settings": {
            "size": f"{settings.width}x{settings.height}",
            "fps": settings.fps,
            "preset": settings.preset,
            "crf": settings.crf,
            "font": str(DEFAULT_FONT),
        },
        "ours": {k: round(v, 2) for k, v in ours.items()}
        | {"x_real_time": round(media_s / ours["wall_s"], 2)},
        "ffmpeg": {k: round(v, 2) for k, v in theirs.items()}
        | {"x_real_time": round(media_s / theirs["wall_s"], 2)},
        "ours_over_ffmpeg_wall": round(ours["wall_s"] / theirs["wall_s"], 3),
        "targets": {"x_real_time": 4.0, "ours_over_ffmpeg_wall": 1.3},
        "load_average": [round(x, 2) for x in __import__("os").getloadavg()],
    }
    json.dump(result, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
