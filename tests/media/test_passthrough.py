"""The aiortc hook in isolation: internals where expected, packets in, packets out."""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path
from typing import Any

import aiortc.rtcrtpreceiver as rtcrtpreceiver
import av
import pytest
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from bench.synthetic import Clip
from signaling.media import passthrough, rtp_hooks

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90_000, payloadType=96)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48_000, channels=2, payloadType=111)


def test_aiortc_internals_are_where_we_expect() -> None:
    passthrough.check_internals()
    passthrough.install()
    passthrough.install()  # idempotent
    assert passthrough.installed()
    assert vars(rtcrtpreceiver)["get_decoder"] is passthrough.passthrough_decoder


COMPOSITION = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from aiohttp import web
    from hearing_server.app import create_app
    from hearing_server.settings import load_settings
    from signaling.media import passthrough
    from signaling.media.hearing_media import HearingMedia

    try:
        HearingMedia(1)
    except RuntimeError as refused:
        print("without install:", refused)
    app = create_app(load_settings(environ={}, overrides={"data_dir": Path(sys.argv[1])}))
    print("after create_app:", passthrough.installed())

    async def start_and_stop() -> None:
        runner = web.AppRunner(app)
        await runner.setup()
        print("after start-up:", passthrough.installed())
        await runner.cleanup()

    asyncio.run(start_and_stop())
    """
)


def test_the_composition_root_installs_pass_through_at_start_up(tmp_path: Path) -> None:
    # A fresh process: the patch is process-wide, so this one's state tells nothing.
    result = subprocess.run(
        [sys.executable, "-c", COMPOSITION, str(tmp_path / "data")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "without install: signaling.media.passthrough.install() was not called",
        "after create_app: False",
        "after start-up: True",
    ]


def test_internals_check_fails_loudly_when_aiortc_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    def renamed(self: object, ssrc: int) -> None: ...

    monkeypatch.setattr(rtcrtpreceiver.RTCRtpReceiver, "_send_rtcp_pli", renamed)
    monkeypatch.delattr(rtcrtpreceiver, "decoder_worker")
    with pytest.raises(RuntimeError, match="aiortc internals moved") as moved:
        passthrough.check_internals()
    assert "decoder_worker is gone" in str(moved.value)
    assert "_send_rtcp_pli('self', 'ssrc')" in str(moved.value)


def test_rtp_hooks_check_fails_loudly_when_aiortc_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    rtp_hooks.check_internals()

    async def renamed(self: object, data: bytes, when: int) -> None: ...

    monkeypatch.setattr(rtcrtpreceiver.RTCRtpReceiver, "_handle_rtp_packet", renamed)
    with pytest.raises(RuntimeError, match="aiortc internals moved") as moved:
        rtp_hooks.check_internals()
    assert "_handle_rtp_packet('self', 'data', 'when')" in str(moved.value)
    assert "no longer contains 'if not self._enabled:'" in str(moved.value)


def test_decoder_wraps_frames_and_flags_vp8_keyframes(clip: Clip) -> None:
    decoder = passthrough.passthrough_decoder(VP8)
    [key] = decoder.decode(JitterFrame(clip.video[0], timestamp=6000))
    [delta] = decoder.decode(JitterFrame(clip.video[1], timestamp=12000))
    assert bytes(key) == clip.video[0]
    assert (key.pts, key.time_base, key.is_keyframe) == (6000, Fraction(1, 90_000), True)
    assert delta.is_keyframe is False
    assert all(p.is_keyframe for p in decoder.decode(JitterFrame(clip.video_intra[5], 0)))
    [audio] = passthrough.passthrough_decoder(OPUS).decode(JitterFrame(clip.audio[0], 960))
    assert (audio.pts, audio.time_base) == (960, Fraction(1, 48_000))
    assert decoder.decode(JitterFrame(b"", 0)) == []


def test_unsupported_codec_is_dropped_not_decoded() -> None:
    h264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90_000, payloadType=102)
    assert passthrough.passthrough_decoder(h264).decode(JitterFrame(b"\x00\x01", 0)) == []
    with pytest.raises(passthrough.UnsupportedCodec):
        passthrough.pack_only_encoder(h264)


def _packet(data: bytes, pts: int, clock: int) -> av.Packet[Any]:
    packet = av.Packet(data)
    packet.pts = pts
    packet.time_base = Fraction(1, clock)
    return packet


def test_encoder_packs_and_never_encodes(clip: Clip) -> None:
    encoder = passthrough.pack_only_encoder(VP8)
    payloads, timestamp = encoder.pack(_packet(clip.video[0], 3000, 90_000))
    assert timestamp == 3000
    assert len(payloads) > 1 and all(len(p) <= 1300 for p in payloads)
    with pytest.raises(RuntimeError, match="never encodes"):
        encoder.encode(object())
    assert "force_keyframe" in inspect.signature(encoder.encode).parameters


def test_encoder_keeps_timestamps_moving_forward_across_sources() -> None:
    encoder = passthrough.pack_only_encoder(OPUS)
    stamps = [encoder.pack(_packet(b"x", pts, 48_000))[1] for pts in (96_000, 96_960, 97_920)]
    assert stamps == [96_000, 96_960, 97_920]
    # The publisher reconnected (its timestamps restart) or another publisher took the slot.
    restarted = [encoder.pack(_packet(b"x", pts, 48_000))[1] for pts in (0, 960)]
    assert restarted == [97_920 + 960, 97_920 + 1920]
    far_ahead = encoder.pack(_packet(b"x", 48_000 * 3600, 48_000))[1]
    assert far_ahead == 97_920 + 2880
