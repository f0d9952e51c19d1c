"""A small, strict WebVTT reader for the tests: only what the renderer may produce, nothing lax."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"{_TIME} --> {_TIME}")
_VOICE = re.compile(r"<v ([^>\n]+)>(.*)</v>", re.DOTALL)
_REFERENCE = re.compile(r"&(?!(?:amp|lt|gt);)")


class VttError(ValueError):
    pass


@dataclass(frozen=True)
class Cue:
    identifier: str
    start_ms: int
    end_ms: int
    voice: str
    text: str


def _ms(hours: str, minutes: str, seconds: str, millis: str) -> int:
    return ((int(hours) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + int(millis)


def parse_vtt(document: str) -> list[Cue]:
    if not document.endswith("\n") or "\r" in document:
        raise VttError("must end with a newline and use LF line endings")
    blocks = document[:-1].split("\n\n")
    if blocks[0] != "WEBVTT":
        raise VttError("first block must be exactly WEBVTT")
    cues: list[Cue] = []
    for block in blocks[1:]:
        lines = block.split("\n")
        if len(lines) < 3 or any(not line.strip() for line in lines):
            raise VttError(f"cue block needs id, timing and text: {block!r}")
        identifier, timing, *payload = lines
        if "-->" in identifier:
            raise VttError("cue identifier must not contain -->")
        match = _TIMING.fullmatch(timing)
        if match is None:
            raise VttError(f"bad timing line {timing!r}")
        start, end = _ms(*match.groups()[:4]), _ms(*match.groups()[4:])
        if end <= start:
            raise VttError(f"cue {identifier} ends before it starts")
        if cues and start < cues[-1].start_ms:
            raise VttError("cues out of order")
        text = "\n".join(payload)
        if "-->" in text:
            raise VttError("cue text must not contain -->")
        voice_match = _VOICE.fullmatch(text)
        if voice_match is None:
            raise VttError(f"cue {identifier} is not one <v Name>...</v> span")
        voice, body = voice_match.groups()
        for part in (voice, body):
            if "<" in part or ">" in part or _REFERENCE.search(part):
                raise VttError(f"unescaped markup in cue {identifier}: {part!r}")
        cues.append(Cue(identifier, start, end, html.unescape(voice), html.unescape(body)))
    return cues
