"""Who gets media: lobby, leaving, reconnecting, keyframe requests from subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bench.synthetic import SyntheticParticipant
from signaling.media import passthrough
from signaling.protocol.media_errors import NotAttached
from tests.media.conftest import Room
from tests.support.waiting import until

pytestmark = pytest.mark.media
Flowing = Callable[[list[int]], Awaitable[None]]


def inbound_total(client: SyntheticParticipant) -> int:
    return sum(counter.packets for counter in client.inbound.values())


async def more_frames_between(room: Room, pids: list[int], count: int = 15) -> None:
    pairs = [(s, p) for s in pids for p in pids if s != p]
    start = {pair: room.packets(*pair, "video") for pair in pairs}
    await until(
        lambda: all(room.packets(*pair, "video") >= start[pair] + count for pair in pairs),
        timeout_s=10,
        what=f"{count} more frames between {pids}",
    )


async def test_participant_in_the_lobby_or_detached_gets_no_rtp(
    room: Room, flowing: Flowing
) -> None:
    for pid in (1, 2, 3):
        await room.join(pid)
    await flowing([1, 2, 3])
    # 4 waits in the lobby: it has a peer connection and an offer, but is never attached.
    lobby = SyntheticParticipant("p4", room.clip)
    await lobby.offer()
    # 3 is sent back to the lobby.
    await room.media.detach(3)
    assert not room.media.is_attached(3)
    assert all(t.participant_id != 3 for s in (1, 2) for t in room.track_maps[s].values())
    await more_frames_between(room, [1, 2], count=3)  # packets in flight have arrived
    detached_total = inbound_total(room.clients[3])
    sent_by_3 = {s: room.clients[s].counter_for(room.mid_of(s, 3, "video") or "x") for s in (1, 2)}
    await more_frames_between(room, [1, 2], count=20)
    assert inbound_total(room.clients[3]) == detached_total
    assert inbound_total(lobby) == 0 and lobby.inbound == {}
    assert all(counter.packets == 0 for counter in sent_by_3.values())
    await lobby.close()


async def test_replace_reconnects_without_leaking_tasks_or_peers(
    room: Room, flowing: Flowing
) -> None:
    await room.join(1)
    await room.join(2, publish=False)  # an observer keeps its role across reconnects
    await room.join(3)
    await flowing([1, 3])
    room.media.set_audio_only(3, True)
    settled = len(asyncio.all_tasks())
    old_pcs = [room.media.peers[3].pc]
    for _ in range(3):
        await room.reconnect(3)
        old_pcs.append(room.media.peers[3].pc)
    current = old_pcs.pop()
    assert all(pc is not None and pc.connectionState == "closed" for pc in old_pcs)
    assert current is not None and current.connectionState != "closed"
    assert sorted(room.media.peers) == [1, 2, 3]
    assert room.media.peers[2].publish is False
    assert room.media.peers[3].audio_only  # switches survive a reconnect
    before = {(s, p): room.packets(s, p, "audio") for s, p in ((1, 3), (3, 1), (2, 3))}
    await until(
        lambda: all(room.packets(*pair, "audio") > before[pair] + 10 for pair in before),
        timeout_s=10,
        what="media both ways after the reconnects",
    )
    assert room.packets(3, 1, "video") == 0  # still audio-only
    # Polling runs in one more task than the test itself.
    await until(lambda: len(asyncio.all_tasks()) - 1 <= settled, timeout_s=10, what="old tasks")
    with pytest.raises(NotAttached):
        await room.media.replace(4, await room.clients[1].offer())


async def test_subscriber_pli_reaches_the_publisher_rate_limited(
    room: Room, flowing: Flowing
) -> None:
    publisher = await room.join(1)
    subscriber = await room.join(2)
    await flowing([1, 2])
    assert publisher.video is not None
    mid = room.mid_of(2, 1, "video")
    receiver = next(t.receiver for t in subscriber.pc.getTransceivers() if t.mid == mid)
    sent = publisher.video.keyframes_sent
    await passthrough.send_pli(receiver)  # the subscriber lost a picture
    await until(
        lambda: publisher.video is not None and publisher.video.keyframes_sent > sent,
        timeout_s=3,
        what="the publisher sending a keyframe",
    )
    sent = publisher.video.keyframes_sent
    for _ in range(10):  # a burst of requests within the rate limit window
        await passthrough.send_pli(receiver)
    await more_frames_between(room, [1, 2], count=8)  # > 0.5 s of media
    assert publisher.video.keyframes_sent - sent <= 2
