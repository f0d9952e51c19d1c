"""Forwarding through real aiortc peers: no codec runs, keyframes asked for, no gaps."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest
from aiortc.codecs import opus, vpx

from tests.media.conftest import Room
from tests.support.waiting import until

pytestmark = pytest.mark.media
Flowing = Callable[[list[int]], Awaitable[None]]


@pytest.fixture
def codec_constructions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    for module, name in (
        (vpx, "Vp8Decoder"), (vpx, "Vp8Encoder"), (opus, "OpusDecoder"), (opus, "OpusEncoder"),
    ):  # fmt: skip
        original = getattr(module, name).__init__

        def spy(self: object, *args: object, _name: str = name, _orig: object = original) -> None:
            made.append(_name)
            _orig(self, *args)  # type: ignore[operator]

        monkeypatch.setattr(getattr(module, name), "__init__", spy)
    return made


async def test_three_participants_forwarded_without_any_codec(
    room: Room, flowing: Flowing, codec_constructions: list[str]
) -> None:
    for pid in (1, 2, 3):
        await room.join(pid)
    await flowing([1, 2, 3])
    assert codec_constructions == []
    for subscriber in (1, 2, 3):
        incoming = room.track_maps[subscriber].values()
        assert {(t.participant_id, t.kind) for t in incoming} == {
            (p, kind) for p in {1, 2, 3} - {subscriber} for kind in ("audio", "video")
        }


async def test_late_joiner_gets_a_keyframe_because_the_pli_reached_the_publisher(
    room: Room, flowing: Flowing
) -> None:
    publisher = await room.join(1)
    await room.join(2)
    await flowing([1, 2])
    assert publisher.video is not None
    keyframes_before = publisher.video.keyframes_sent
    joined_at = time.monotonic()
    late = await room.join(3)
    await until(
        lambda: all(
            room.mid_of(3, p, "video") is not None
            and room.counter(3, p, "video").first_keyframe_at is not None
            for p in (1, 2)
        ),
        timeout_s=10,
        what="a keyframe from 1 and 2 at the late joiner",
    )
    # The synthetic publishers, like browsers, send no periodic keyframes: only the PLI that
    # the server sent on the late joiner's behalf makes this keyframe.
    assert publisher.video.keyframes_sent > keyframes_before
    connected_at = min(c.first_at for c in late.inbound.values() if c.first_at is not None)
    first_frames = [room.counter(3, p, "video").first_keyframe_at for p in (1, 2)]
    from_join_s = max(first_frames) - joined_at
    from_connected_s = max(first_frames) - connected_at
    print(f"late joiner: first frame {from_join_s:.3f} s after joining, "
          f"{from_connected_s:.3f} s after its first packet")  # fmt: skip
    assert from_connected_s <= 0.5, from_connected_s
    assert from_join_s <= 1.5, from_join_s


async def test_fifth_participant_joins_without_a_gap_for_the_others(
    room: Room, flowing: Flowing
) -> None:
    for pid in (1, 2, 3, 4):
        await room.join(pid)
    await flowing([1, 2, 3, 4])
    pairs = [(s, p) for s in (1, 2, 3, 4) for p in (1, 2, 3, 4) if s != p]
    for s, p in pairs:
        room.counter(s, p, "video").reset_gap()
        room.counter(s, p, "audio").reset_gap()
    before = {(s, p, k): room.packets(s, p, k) for s, p in pairs for k in ("audio", "video")}
    started = time.monotonic()
    await room.join(5)
    await flowing([1, 2, 3, 4, 5])
    await until(
        lambda: all(room.packets(s, p, "video") > before[(s, p, "video")] + 20 for s, p in pairs),
        timeout_s=10,
        what="20 more frames on every existing subscription",
    )
    elapsed = time.monotonic() - started
    rates = {key: (room.packets(*key) - count) / elapsed for key, count in before.items()}
    gaps = {(s, p, k): room.counter(s, p, k).max_gap_s for s, p, k in before}
    worst_gap = {k: max(g for key, g in gaps.items() if key[2] == k) for k in ("audio", "video")}
    lowest = {k: min(r for key, r in rates.items() if key[2] == k) for k in ("audio", "video")}
    print(
        f"5th joiner: over {elapsed:.2f} s the 12 existing subscriptions kept >= "
        f"{lowest['video']:.1f} fps, >= {lowest['audio']:.1f} audio pkt/s; longest gap "
        f"{worst_gap['video']:.3f} s video, {worst_gap['audio']:.3f} s audio"
    )
    # Measured ~0.15 s (the join's DTLS handshake runs on the same loop): a jitter that the
    # receivers' buffers absorb, no lost media (rates stay at 15 fps and 50 pkt/s).
    assert worst_gap["video"] < 0.4, gaps
    assert worst_gap["audio"] < 0.4, gaps
    assert lowest["video"] > 13 and lowest["audio"] > 45, rates


async def test_observer_receives_but_cannot_publish(room: Room, flowing: Flowing) -> None:
    await room.join(1)
    await room.join(2)
    observer = await room.join(9, publish=False, send_anyway=True)
    await flowing([1, 2])
    await until(
        lambda: room.packets(9, 1, "video") > 5 and room.packets(9, 2, "audio") > 5,
        timeout_s=10,
        what="the observer receiving",
    )
    assert observer.video is not None
    assert 9 not in room.media.publications
    assert all(t.participant_id != 9 for t in room.track_maps[1].values())


async def frames_pass(
    room: Room, subscriber: int, publisher: int, *, kind: str = "video", count: int = 8
) -> None:
    start = room.packets(subscriber, publisher, kind)
    await until(
        lambda: room.packets(subscriber, publisher, kind) >= start + count,
        timeout_s=5,
        what=f"{count} {kind} packets from {publisher} at {subscriber}",
    )


async def test_mute_and_audio_only(room: Room, flowing: Flowing) -> None:
    for pid in (1, 2, 3):
        await room.join(pid)
    await flowing([1, 2, 3])
    room.media.set_audio_muted(1, True)
    await frames_pass(room, 2, 1)  # packets already in flight arrive
    muted_at = {s: room.packets(s, 1, "audio") for s in (2, 3)}
    await frames_pass(room, 2, 1)
    assert {s: room.packets(s, 1, "audio") for s in (2, 3)} == muted_at
    room.media.set_audio_muted(1, False)
    await until(lambda: room.packets(2, 1, "audio") > muted_at[2] + 5, timeout_s=5, what="unmute")

    room.media.set_audio_only(3, True)
    await frames_pass(room, 3, 1, kind="audio", count=15)
    video_3 = {p: room.packets(3, p, "video") for p in (1, 2)}
    await frames_pass(room, 3, 1, kind="audio", count=40)
    assert {p: room.packets(3, p, "video") for p in (1, 2)} == video_3
    room.media.set_audio_only(3, False)
    await until(
        lambda: room.packets(3, 1, "video") > video_3[1] + 5, timeout_s=5, what="video back"
    )
