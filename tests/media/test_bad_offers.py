"""Broken offers get a clear MediaError; the others' media keeps flowing; nothing leaks."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bench.synthetic import SyntheticParticipant
from signaling.media.exceptions import MediaError
from tests.media.conftest import Room
from tests.support.waiting import until

pytestmark = pytest.mark.media


def _truncated(sdp: str) -> str:
    return sdp[: len(sdp) // 2]


def _no_fingerprint(sdp: str) -> str:
    return "\r\n".join(line for line in sdp.split("\r\n") if not line.startswith("a=fingerprint"))


def _many_candidates(sdp: str) -> str:
    extra = "".join(
        f"a=candidate:{i} 1 udp 2122260223 127.0.0.1 {10000 + i} typ host\r\n" for i in range(1000)
    )
    return sdp.replace("a=mid:0\r\n", "a=mid:0\r\n" + extra, 1)


def _h264_only(sdp: str) -> str:
    out = re.sub(r"a=rtpmap:(\d+) VP8/90000", r"a=rtpmap:\1 H264/90000", sdp)
    return out.replace("opus/48000", "PCMU/8000")


def _oversized(sdp: str) -> str:
    return sdp + "a=x-padding:" + "x" * 70_000 + "\r\n"


def _application_section(sdp: str) -> str:
    return sdp + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:99\r\n"


def _bad_setup_value(sdp: str) -> str:
    return sdp.replace("a=setup:actpass", "a=setup:sideways")


def _garbled_media(sdp: str) -> str:
    return re.sub(r"m=video \d+ ", "m=video x ", sdp, count=1)


MUTATIONS: dict[str, Callable[[str], str]] = {
    "truncated": _truncated,
    "no fingerprint": _no_fingerprint,
    "1000 candidates": _many_candidates,
    "wrong codec only": _h264_only,
    "oversized": _oversized,
    "garbage": lambda _sdp: "hello, court",
    "empty": lambda _sdp: "",
    "data channel section": _application_section,
    "bad DTLS setup": _bad_setup_value,
    "garbled media line": _garbled_media,
}


async def test_each_bad_offer_is_refused_while_others_flow(
    room: Room, flowing: Callable[[list[int]], Awaitable[None]]
) -> None:
    loop_errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: loop_errors.append(context))
    await room.join(1)
    await room.join(2)
    await flowing([1, 2])
    template = SyntheticParticipant("template", room.clip)
    good_offer = await template.offer()
    await template.close()
    messages: dict[str, str] = {}
    for name, mutate in MUTATIONS.items():
        before = room.packets(1, 2, "video")
        with pytest.raises(MediaError, match=r"\w") as refused:
            await room.media.attach(7, mutate(good_offer), publish=True, receive=True)
        messages[name] = refused.value.message
        assert 7 not in room.media.peers
        await until(
            lambda before=before: room.packets(1, 2, "video") > before + 3,  # type: ignore[misc]
            timeout_s=5,
            what=f"media still flowing after {name}",
        )
    assert "DTLS fingerprint" in messages["no fingerprint"]
    assert "ICE candidates (at most 64)" in messages["1000 candidates"]
    assert "does not offer OPUS" in messages["wrong codec only"]
    assert "larger than" in messages["oversized"]
    assert "v=0" in messages["garbage"]
    assert "only audio and video" in messages["data channel section"]
    assert "DTLS role" in messages["bad DTLS setup"]
    assert "malformed media line" in messages["garbled media line"]
    assert "truncated" in messages["truncated"]
    assert all(messages.values())
    # A participant whose offer was refused can still join with a good one.
    await room.join(7)
    await flowing([1, 2, 7])
    gc.collect()
    await asyncio.sleep(0)
    assert loop_errors == []
