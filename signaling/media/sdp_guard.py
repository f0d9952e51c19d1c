"""Checks an offer before aiortc sees it: size, media sections, candidates, DTLS, codecs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from signaling.protocol.media_errors import BadSdp

MAX_SDP_BYTES = 64 * 1024
MAX_MEDIA_SECTIONS = 40
MAX_CANDIDATES = 64
FINGERPRINT = re.compile(r"(?i)sha-(1|224|256|384|512) [0-9a-f]{2}(:[0-9a-f]{2}){15,63}")


@dataclass(frozen=True)
class MediaSection:
    kind: str
    direction: str
    mid: str


@dataclass(frozen=True)
class OfferSummary:
    sections: tuple[MediaSection, ...]


def check_offer(sdp: str) -> OfferSummary:
    """Return the offer's media sections in order, or raise ``BadSdp`` saying what is wrong."""
    if not isinstance(sdp, str) or not sdp.strip():
        raise BadSdp("the offer is empty")
    candidates = sdp.count("a=candidate:")
    if candidates > MAX_CANDIDATES:
        raise BadSdp(f"the offer has {candidates} ICE candidates (at most {MAX_CANDIDATES})")
    if len(sdp.encode("utf-8", "replace")) > MAX_SDP_BYTES:
        raise BadSdp(f"the offer is larger than {MAX_SDP_BYTES} bytes")
    lines = [line.strip() for line in sdp.splitlines()]
    if not lines or not lines[0].startswith("v=0"):
        raise BadSdp("the offer does not start with v=0")
    if not sdp.endswith("\n"):
        raise BadSdp("the offer is truncated (its last line is not terminated)")
    for required in ("a=ice-ufrag:", "a=ice-pwd:", "a=setup:"):
        if not any(line.startswith(required) for line in lines):
            raise BadSdp(f"the offer has no {required.rstrip(':')} line")
    for line in lines:
        if line.startswith("a=setup:") and line[8:] not in ("actpass", "active", "passive"):
            raise BadSdp(f"invalid DTLS role {line[8:]!r}")
    for line in lines:
        if line.startswith("a=fingerprint:") and not FINGERPRINT.fullmatch(line[14:]):
            raise BadSdp(f"malformed DTLS fingerprint {line[14:60]!r}")
    # A fingerprint at session level (before the first m= line) applies to every section;
    # one inside a section covers that section only.
    first_media = next((i for i, line in enumerate(lines) if line.startswith("m=")), len(lines))
    session_fingerprint = any(line.startswith("a=fingerprint:") for line in lines[:first_media])
    sections: list[dict[str, object]] = []
    for line in lines:
        if line.startswith("m="):
            parts = line[2:].split()
            if len(parts) < 4 or not parts[1].isdigit():
                raise BadSdp(f"malformed media line: {line[:80]!r}")
            sections.append(
                {"kind": parts[0], "direction": "sendrecv", "mid": "", "fp": False, "codecs": []}
            )
            if len(sections) > MAX_MEDIA_SECTIONS:
                raise BadSdp(f"the offer has more than {MAX_MEDIA_SECTIONS} media sections")
        elif sections:
            current = sections[-1]
            if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
                current["direction"] = line[2:]
            elif line.startswith("a=mid:"):
                current["mid"] = line[6:]
            elif line.startswith("a=fingerprint:"):
                current["fp"] = True
            elif line.startswith("a=rtpmap:"):
                codecs = current["codecs"]
                assert isinstance(codecs, list)
                codecs.append(line.split(" ", 1)[-1].split("/")[0].lower())
    if not sections:
        raise BadSdp("the offer has no media sections")
    result: list[MediaSection] = []
    for index, section in enumerate(sections):
        kind = str(section["kind"])
        if kind not in ("audio", "video"):
            raise BadSdp(f"media section {index} is {kind!r}; only audio and video are used")
        if not (section["fp"] or session_fingerprint):
            raise BadSdp(
                f"media section {index} has no DTLS fingerprint (a=fingerprint:), and the"
                " session level has none for it"
            )
        codecs = section["codecs"]
        assert isinstance(codecs, list)
        needed = "vp8" if kind == "video" else "opus"
        if needed not in codecs:
            raise BadSdp(f"media section {index} ({kind}) does not offer {needed.upper()}")
        if not section["mid"]:
            raise BadSdp(f"media section {index} has no a=mid")
        result.append(MediaSection(kind, str(section["direction"]), str(section["mid"])))
    return OfferSummary(tuple(result))
