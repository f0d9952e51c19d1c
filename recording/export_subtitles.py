"""The transcript's WebVTT (``transcript.webvtt``) as plain subtitle cues for the MP4 (pure).

MP4's ``mov_text`` carries plain text: the voice tag becomes a ``Name:`` prefix and the
escaped characters are restored.
"""

from __future__ import annotations

import html
import re

from recording.export_plan import Cue

_TIMING = re.compile(
    r"^(?P<start>\d{2,}:\d{2}:\d{2}\.\d{3})\s+-->\s+(?P<end>\d{2,}:\d{2}:\d{2}\.\d{3})"
)
_VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+(?P<name>[^>]*)>")
_TAG = re.compile(r"</?[a-z][^>]*>")


def _ms(stamp: str) -> int:
    hours, minutes, rest = stamp.split(":")
    seconds, millis = rest.split(".")
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def cues_from_webvtt(text: str) -> list[Cue]:
    cues: list[Cue] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        for index, line in enumerate(lines):
            timing = _TIMING.match(line)
            if timing is None:
                continue
            body = "\n".join(lines[index + 1 :])
            body = _VOICE.sub(lambda m: f"{m.group('name')}: ", body)
            body = html.unescape(_TAG.sub("", body)).strip()
            start, end = _ms(timing.group("start")), _ms(timing.group("end"))
            if body and end > start:
                cues.append(Cue(start, end, body))
            break
    return cues
