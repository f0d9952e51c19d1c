"""Every media section needs a DTLS fingerprint, its own or one at session level (issue 13
point 7): a garbage attribute in the first section is no fingerprint."""

from __future__ import annotations

import pytest

from signaling.media.sdp_guard import check_offer
from signaling.protocol.media_errors import BadSdp

FP = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)
SESSION = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"


def _section(kind: str, mid: str, fingerprint: str | None) -> str:
    codec = "111 opus/48000/2" if kind == "audio" else "96 VP8/90000"
    lines = [
        f"m={kind} 9 UDP/TLS/RTP/SAVPF {codec.split()[0]}", "c=IN IP4 0.0.0.0",
        f"a=mid:{mid}", "a=sendonly", "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuv",
        "a=setup:actpass", f"a=rtpmap:{codec}",
    ]  # fmt: skip
    if fingerprint is not None:
        lines.append(fingerprint)
    return "".join(line + "\r\n" for line in lines)


def test_each_section_with_its_own_fingerprint_passes() -> None:
    offer = SESSION + _section("audio", "0", FP) + _section("video", "1", FP)
    assert [s.mid for s in check_offer(offer).sections] == ["0", "1"]


def test_a_session_level_fingerprint_covers_every_section() -> None:
    offer = SESSION + FP + "\r\n" + _section("audio", "0", None) + _section("video", "1", None)
    assert len(check_offer(offer).sections) == 2


@pytest.mark.parametrize("garbage", ["a=fingerprintx:", "a=fingerprintx:" + FP[14:], None])
def test_a_first_section_without_a_real_fingerprint_is_refused(garbage: str | None) -> None:
    # The second section's fingerprint does not cover the first (it used to: any fingerprint
    # line anywhere counted as one at session level).
    offer = SESSION + _section("audio", "0", garbage) + _section("video", "1", FP)
    with pytest.raises(BadSdp, match="media section 0 has no DTLS fingerprint"):
        check_offer(offer)


def test_a_later_section_without_one_is_refused() -> None:
    offer = SESSION + _section("audio", "0", FP) + _section("video", "1", "a=fingerprintx:")
    with pytest.raises(BadSdp, match="media section 1 has no DTLS fingerprint"):
        check_offer(offer)
