"""Child process of the kill test: records one participant until it is SIGKILLed.

    python -m tests.recording.killed_writer HEARING_DIR CLIP_JSON

Feeds media at four times real time on a fake arrival clock and prints the number of whole
seconds of media that the writer thread has taken, so the parent knows when to kill.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

from recording import HearingRecorder, RecorderConfig
from tests.recording.media import Clip, play

SPEED = 4.0


def load_clip(path: Path) -> Clip:
    data = json.loads(path.read_text())
    return Clip(
        video=[(base64.b64decode(frame), keyframe) for frame, keyframe in data["video"]],
        audio=[base64.b64decode(packet) for packet in data["audio"]],
    )


def save_clip(clip: Clip, path: Path) -> None:
    video = [(base64.b64encode(frame).decode(), keyframe) for frame, keyframe in clip.video]
    audio = [base64.b64encode(packet).decode() for packet in clip.audio]
    path.write_text(json.dumps({"video": video, "audio": audio}))


def main() -> None:
    hearing_dir, clip_path = Path(sys.argv[1]), Path(sys.argv[2])
    config = RecorderConfig(
        hearing_id="h-kill",
        hearing_dir=hearing_dir,
        origin_monotonic_s=0.0,
        origin_epoch_s=time.time(),
        segment_s=60.0,
    )
    recorder = HearingRecorder(config, on_segment=lambda _s: None, on_event=lambda _e: None)
    recorder.start()
    started = time.monotonic()
    reported = 0
    for frame in play(load_clip(clip_path), "p9", seconds=120.0, start_s=0.0):
        ahead_s = frame.arrival_s / SPEED - (time.monotonic() - started)
        if ahead_s > 0:
            time.sleep(ahead_s)  # pacing the fake publisher, not synchronising with the test
        recorder.submit(frame)
        if frame.arrival_s >= reported + 1:
            while recorder.queued_frames:
                time.sleep(0.005)
            reported += 1
            print(reported, flush=True)


if __name__ == "__main__":
    main()
