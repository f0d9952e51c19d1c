"""All media of one hearing: publishers, subscribers and which slot shows whom.

Owned by one event loop. The signaling layer calls ``attach`` when an admitted participant
sends an offer, ``replace`` when they reconnect, ``detach`` when they leave, are removed or go
back to the lobby, and the switches for mute and audio-only. Participants in the lobby are
simply not attached: they get nothing and nobody gets their media.

Slots, not renegotiation: every client offers its own audio+video (send) plus pairs of receive
sections ("slots", 7 for a hearing of up to 8). When someone joins or leaves, the server only
re-points slots at other publishers and reports each subscriber's ``TrackMap`` through
``on_track_map``; no existing peer connection is renegotiated, so nobody else's media stops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiortc import RTCIceServer

from signaling.media import passthrough
from signaling.media.peer import ParticipantPeer
from signaling.media.publication import FrameTap, PublishedTrack
from signaling.media.rtp_hooks import ReceiverHook
from signaling.protocol.media_errors import NotAttached

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingTrack:
    """What a subscriber receives on one of its slot sections (``mid``)."""

    mid: str
    kind: str  # "audio" or "video"
    participant_id: int

    def to_wire(self) -> dict[str, str | int]:
        return {"mid": self.mid, "kind": self.kind, "participant_id": self.participant_id}


# A subscriber's slots that currently carry someone's media, by mid. Unlisted mids are idle.
TrackMap = dict[str, IncomingTrack]


class HearingMedia:
    def __init__(
        self,
        hearing_id: int,
        *,
        ice_servers: Sequence[RTCIceServer] = (),
        on_track_map: Callable[[int, TrackMap], None] | None = None,
        on_failed: Callable[[int], None] | None = None,
    ) -> None:
        """``on_track_map(subscriber_id, track_map)`` runs whenever a subscriber's map changes;
        ``on_failed(participant_id)`` when a connection fails (the client should reconnect
        with a new offer, see ``replace``).

        Needs ``passthrough.install()`` done for the process (the composition root does it)."""
        if not passthrough.installed():
            raise RuntimeError("signaling.media.passthrough.install() was not called")
        self.hearing_id = hearing_id
        self.ice_servers = list(ice_servers)
        self.peers: dict[int, ParticipantPeer] = {}
        self.publications: dict[int, dict[str, PublishedTrack]] = {}
        self.audio_muted: set[int] = set()
        self._on_track_map = on_track_map
        self._on_failed = on_failed
        self.packet_tap: FrameTap | None = None
        self._locks: dict[int, asyncio.Lock] = {}

    def is_attached(self, participant_id: int) -> bool:
        return participant_id in self.peers

    async def attach(
        self, participant_id: int, offer_sdp: str, *, publish: bool, receive: bool
    ) -> str:
        """Negotiate a peer connection for an admitted participant; return the answer SDP.

        ``publish=False`` (observer): whatever the client sends is ignored. ``receive=False``:
        it gets nothing. Attaching an attached participant replaces the old connection. A
        refused offer raises ``MediaError`` and leaves every existing connection as it was.
        """
        async with self._lock(participant_id):
            return await self._attach(participant_id, offer_sdp, publish=publish, receive=receive)

    async def replace(self, participant_id: int, offer_sdp: str) -> str:
        """Reconnect: a new peer connection with the same role replaces the old one."""
        async with self._lock(participant_id):
            old = self.peers.get(participant_id)
            if old is None:
                raise NotAttached(f"participant {participant_id} has no media connection")
            return await self._attach(
                participant_id, offer_sdp, publish=old.publish, receive=old.receive
            )

    async def _attach(
        self, participant_id: int, offer_sdp: str, *, publish: bool, receive: bool
    ) -> str:
        peer = ParticipantPeer(
            participant_id=participant_id,
            publish=publish,
            receive=receive,
            ice_servers=self.ice_servers,
            on_failed=self._peer_failed,
        )
        answer = await peer.negotiate(offer_sdp)
        old = self.peers.get(participant_id)
        if old is not None:
            peer.audio_only = old.audio_only
            try:
                await self._drop(participant_id)
            except BaseException:  # cancelled while closing the old one: don't leak the new
                await peer.close()
                raise
        self.peers[participant_id] = peer
        publications = {
            kind: self._publication(participant_id, kind, hook)
            for kind, hook in peer.published.items()
        }
        if publications:
            self.publications[participant_id] = publications
            if participant_id in self.audio_muted and "audio" in publications:
                publications["audio"].muted = True
        self._rebalance(force_report=participant_id)
        self._apply_audio_only(peer)
        log.info(
            "hearing %s participant %s: media %s (%s published, %d slots)",
            self.hearing_id, participant_id, "replaced" if old else "attached",
            ",".join(sorted(publications)) or "nothing", len(peer.slots),
        )  # fmt: skip
        return answer

    def _lock(self, participant_id: int) -> asyncio.Lock:
        return self._locks.setdefault(participant_id, asyncio.Lock())

    def _publication(self, participant_id: int, kind: str, hook: ReceiverHook) -> PublishedTrack:
        publication = PublishedTrack(
            kind, participant_id=participant_id, request_pli=hook.request_keyframe
        )
        hook.sink = publication.on_rtp
        hook.on_sender_report = publication.on_sender_report
        publication.tap = self.packet_tap
        return publication

    def set_packet_tap(self, tap: FrameTap | None) -> None:
        """Every forwarded frame of every publication (present and future) also goes to
        ``tap`` — the recording's feed."""
        self.packet_tap = tap
        for tracks in self.publications.values():
            for publication in tracks.values():
                publication.tap = tap

    def publication(self, participant_id: int, kind: str) -> PublishedTrack | None:
        return self.publications.get(participant_id, {}).get(kind)

    def request_keyframe(self, participant_id: int, kind: str) -> None:
        """Ask the publisher for a keyframe of ``kind`` (rate-limited, see ``PublishedTrack``);
        nothing if the participant publishes no such track."""
        publication = self.publication(participant_id, kind)
        if publication is not None:
            publication.request_keyframe()

    def _peer_failed(self, peer: ParticipantPeer) -> None:
        if self.peers.get(peer.participant_id) is peer:
            log.warning(
                "hearing %s participant %s: media connection failed",
                self.hearing_id, peer.participant_id,
            )  # fmt: skip
            if self._on_failed is not None:
                self._on_failed(peer.participant_id)

    async def detach(self, participant_id: int) -> None:
        """Close the participant's connection; the others stop getting their media."""
        async with self._lock(participant_id):
            if participant_id in self.peers:
                await self._drop(participant_id)
                self._rebalance()
                log.info(
                    "hearing %s participant %s: media detached", self.hearing_id, participant_id
                )

    async def _drop(self, participant_id: int) -> None:
        peer = self.peers.pop(participant_id, None)
        publications = self.publications.pop(participant_id, {})
        await asyncio.gather(*(p.close() for p in publications.values()))
        if peer is not None:
            await peer.close()

    def set_audio_muted(self, participant_id: int, muted: bool) -> None:
        """Stop (or resume) forwarding this publisher's audio to everyone; kept across
        reconnects and valid before the participant attaches."""
        if muted:
            self.audio_muted.add(participant_id)
        else:
            self.audio_muted.discard(participant_id)
        audio = self.publications.get(participant_id, {}).get("audio")
        if audio is not None:
            audio.muted = muted

    def set_audio_only(self, participant_id: int, audio_only: bool) -> None:
        """Stop (or resume) sending any video to this subscriber; kept across reconnects."""
        peer = self.peers.get(participant_id)
        if peer is None:
            raise NotAttached(f"participant {participant_id} has no media connection")
        peer.audio_only = audio_only
        self._apply_audio_only(peer)

    @staticmethod
    def _apply_audio_only(peer: ParticipantPeer) -> None:
        for slot in peer.slots:
            slot.video.set_enabled(not peer.audio_only)

    def track_map(self, participant_id: int) -> TrackMap:
        """Which participant's audio/video arrives on each of the subscriber's mids."""
        peer = self.peers.get(participant_id)
        if peer is None:
            return {}
        result: TrackMap = {}
        for slot in peer.slots:
            if slot.publisher_id is None:
                continue
            for kind, mid in (("audio", slot.audio_mid), ("video", slot.video_mid)):
                result[mid] = IncomingTrack(mid, kind, slot.publisher_id)
        return result

    def _rebalance(self, force_report: int | None = None) -> None:
        """Point every subscriber's slots at the current publishers, keeping existing ones."""
        publishers = sorted(self.publications)
        for subscriber_id, peer in self.peers.items():
            wanted = [p for p in publishers if p != subscriber_id]
            changed = subscriber_id == force_report
            for slot in peer.slots:
                if slot.publisher_id is not None and slot.publisher_id not in wanted:
                    slot.publisher_id = None
                    changed = True
            shown = {slot.publisher_id for slot in peer.slots}
            missing = [p for p in wanted if p not in shown]
            free = [slot for slot in peer.slots if slot.publisher_id is None]
            if len(missing) > len(free):
                log.warning(
                    "hearing %s participant %s: %d slots for %d other publishers",
                    self.hearing_id, subscriber_id, len(peer.slots), len(wanted),
                )  # fmt: skip
            for publisher_id, slot in zip(missing, free, strict=False):
                slot.publisher_id = publisher_id
                changed = True
            for slot in peer.slots:
                tracks = (
                    self.publications.get(slot.publisher_id, {})
                    if slot.publisher_id is not None
                    else {}
                )
                slot.audio.assign(tracks.get("audio"))
                slot.video.assign(tracks.get("video"))
            if changed and self._on_track_map is not None:
                self._on_track_map(subscriber_id, self.track_map(subscriber_id))

    async def close(self) -> None:
        """Close every connection and stop every task this object owns."""
        for participant_id in list(self.peers):
            async with self._lock(participant_id):
                await self._drop(participant_id)
        for publications in self.publications.values():
            await asyncio.gather(*(p.close() for p in publications.values()))
        self.publications.clear()
        self._locks.clear()
