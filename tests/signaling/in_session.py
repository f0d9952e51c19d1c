"""A judge and a party exchanging synthetic media in a hearing that is in session (recorded).

The recording tests through the server (live, writer behind, disk full) all start this way::

    async with judge_and_party_in_session(courtroom, clip) as hearing:
        ...  # hearing.peers flow both ways; the judge's socket has seen "recording"
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bench.synthetic import Clip, SyntheticParticipant
from tests.support.api import ApiClient
from tests.support.sockets import SocketClient
from tests.support.waiting import until


def busiest(peer: SyntheticParticipant, kind: str) -> int:
    """Packets on the busiest incoming track of that kind (the other participant's)."""
    return max((c.packets for c in peer.inbound.values() if c.kind == kind), default=0)


@dataclass
class InSession:
    api: ApiClient  # the judge's
    hearing_id: int
    judge_socket: SocketClient
    party_socket: SocketClient
    party_pid: int
    peers: list[SyntheticParticipant]  # [judge, party]


@asynccontextmanager
async def judge_and_party_in_session(
    courtroom: dict[str, Any], clip: Clip
) -> AsyncIterator[InSession]:
    judge_socket = courtroom["open_socket"]()
    await judge_socket.connect()
    party_socket = courtroom["open_socket"](as_party="plaintiff")
    await party_socket.connect()
    party_pid = courtroom["parties"]["plaintiff"]["participant_id"]
    await judge_socket.call("admit", {"participant_id": party_pid})
    await party_socket.wait_for("admitted")
    peers = [SyntheticParticipant("judge", clip, slots=2), SyntheticParticipant("p", clip, slots=2)]
    try:
        for socket, peer in zip((judge_socket, party_socket), peers, strict=True):
            reply = await socket.call("offer", {"sdp": await peer.offer()})
            assert reply["ok"], reply
            await peer.accept(reply["sdp"])
        await until(lambda: all(busiest(p, k) > 30 for p in peers for k in ("audio", "video")),
                    timeout_s=30, what="media both ways")  # fmt: skip
        api: ApiClient = courtroom["judge"]
        hid = courtroom["hearing_id"]
        started = await api.post(f"/api/hearings/{hid}/transitions", {"action": "start"})
        assert started.status == 200
        await judge_socket.wait_for("recording", lambda d: d["state"] == "recording")
        yield InSession(api, hid, judge_socket, party_socket, party_pid, peers)
    finally:
        for peer in peers:
            await peer.close()
