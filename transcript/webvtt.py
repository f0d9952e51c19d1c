"""The transcript as WebVTT subtitles on the hearing timeline, one cue per live entry.

A cue runs from the entry's ``media_offset_ms`` to the next later entry's offset, or 5 s when
none follows; the speaker is the cue's voice (``<v Name>``). Text is escaped so that no entry
can end a cue early or inject markup: ``& < >`` become references, blank lines are dropped.
"""

from __future__ import annotations

from transcript.replica import TranscriptReplica

LAST_CUE_MS = 5_000


def vtt_timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def escape_cue_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cue_lines(text: str) -> list[str]:
    lines = [escape_cue_text(line.strip()) for line in text.split("\n")]
    return [line for line in lines if line]


def _cue_ends(starts: list[int]) -> list[int]:
    """For ascending ``starts``: each one's next strictly later start, else start + 5 s."""
    ends = [0] * len(starts)
    following: int | None = None
    for index in range(len(starts) - 1, -1, -1):
        if index + 1 < len(starts) and starts[index + 1] > starts[index]:
            following = starts[index + 1]
        ends[index] = following if following is not None else starts[index] + LAST_CUE_MS
    return ends


def render_webvtt(transcript: TranscriptReplica) -> str:
    entries = transcript.entries(include_deleted=False)
    ends = _cue_ends([entry.media_offset_ms for entry in entries])
    blocks = ["WEBVTT"]
    for entry, end in zip(entries, ends, strict=True):
        start = entry.media_offset_ms
        voice = escape_cue_text(" ".join(entry.speaker.display_name.split()))
        lines = _cue_lines(entry.text)
        lines[0] = f"<v {voice}>{lines[0]}"
        lines[-1] = f"{lines[-1]}</v>"
        timing = f"{vtt_timestamp(start)} --> {vtt_timestamp(end)}"
        blocks.append("\n".join([f"entry-{entry.entry_id}", timing, *lines]))
    return "\n\n".join(blocks) + "\n"
