"""Broken offers get a clear MediaError; the others' media keeps flowing; nothing leaks."""

from __future__ import annotations

import asyncio
import gc
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bench.synthetic import SyntheticParticipant
from signaling.protocol.media_errors import NEGOTIATION_FAILED, MediaError
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


def _h264_video(sdp: str) -> str:
    return re.sub(r"a=rtpmap:(\d+) VP8/90000", r"a=rtpmap:\1 H264/90000", sdp)


def _too_many_sections(sdp: str) -> str:
    audio = sdp[sdp.index("m=audio") : sdp.index("m=", sdp.index("m=audio") + 2)]
    audio = re.sub(r"a=candidate:[^\r]*\r\n", "", audio)
    return sdp + "".join(audio.replace("a=mid:0", f"a=mid:x{i}") for i in range(40))


def _bad_fingerprint(sdp: str) -> str:
    return re.sub(r"a=fingerprint:sha-256 \S+", "a=fingerprint:sha-256 zz", sdp)


def _fingerprintx_first(sdp: str) -> str:  # the other sections' fingerprints do not cover it
    first = sdp.index("m=")
    second = sdp.index("m=", first + 2)
    section = sdp[first:second].replace("a=fingerprint:", "a=fingerprintx:")
    return sdp[:first] + section + sdp[second:]


def _bad_ssrc(sdp: str) -> str:  # passes the guard; aiortc itself raises ValueError
    return re.sub(r"a=ssrc:\d+", "a=ssrc:abc", sdp, count=1)


def _duplicate_mid(sdp: str) -> str:  # passes the guard; aiortc itself refuses it
    return sdp.replace("a=mid:1\r\n", "a=mid:0\r\n", 1)


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
    "H264 video only": _h264_video,
    "too many media sections": _too_many_sections,
    "malformed fingerprint": _bad_fingerprint,
    "garbage fingerprint attribute in the first section": _fingerprintx_first,
    "bad ssrc": _bad_ssrc,
    "duplicate mid": _duplicate_mid,
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
    assert "does not offer VP8" in messages["H264 video only"]
    assert "more than 40 media sections" in messages["too many media sections"]
    assert "malformed DTLS fingerprint" in messages["malformed fingerprint"]
    assert (
        "media section 0 has no DTLS fingerprint"
        in messages["garbage fingerprint attribute in the first section"]
    )
    # aiortc's own refusals: one fixed sentence, none of its exception text
    assert messages["bad ssrc"] == messages["duplicate mid"] == NEGOTIATION_FAILED
    assert all(messages.values())
    # A participant whose offer was refused can still join with a good one.
    await room.join(7)
    await flowing([1, 2, 7])
    gc.collect()
    await asyncio.sleep(0)
    assert loop_errors == []


async def test_refused_reconnect_keeps_the_old_connection_and_cancel_leaves_nothing(
    room: Room, flowing: Callable[[list[int]], Awaitable[None]]
) -> None:
    await room.join(1)
    await room.join(2)
    await flowing([1, 2])
    old_pc = room.media.peers[2].pc
    with pytest.raises(MediaError, match="does not start with v=0"):
        await room.media.replace(2, "garbage")
    assert room.media.peers[2].pc is old_pc
    before = room.packets(1, 2, "video")
    await until(lambda: room.packets(1, 2, "video") > before + 5, timeout_s=5, what="2 still on")
    # A signaling layer that gives up mid-negotiation (client gone) cancels attach: the
    # half-built connection is closed (the fixture checks that no task is left behind).
    client = SyntheticParticipant("p3", room.clip)
    attaching = asyncio.create_task(
        room.media.attach(3, await client.offer(), publish=True, receive=True)
    )
    await asyncio.sleep(0)  # let it start negotiating
    attaching.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attaching
    await client.close()
    assert not room.media.is_attached(3)
