"""All media of one hearing: publishers, subscribers and which slot shows whom.

Owned by one event loop. The signaling layer calls ``attach`` when an admitted participant
sends an offer, ``detach`` when they leave or are removed, and the switches for mute and
audio-only. ``on_track_map`` tells it when a subscriber's slots point at other publishers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiortc import RTCIceServer, RTCRtpReceiver
from aiortc.mediastreams import MediaStreamTrack

from signaling.media import passthrough
from signaling.media.exceptions import NotAttached
from signaling.media.forwarding import PublishedTrack
from signaling.media.peer import ParticipantPeer

log = logging.getLogger(__name__)
TrackMap = list[dict[str, Any]]


class HearingMedia:
    def __init__(
        self,
        hearing_id: int,
        *,
        ice_servers: list[RTCIceServer] | None = None,
        on_track_map: Callable[[int, TrackMap], None] | None = None,
        on_failed: Callable[[int], None] | None = None,
    ) -> None:
        passthrough.install()
        self.hearing_id = hearing_id
        self.ice_servers = ice_servers or []
        self.peers: dict[int, ParticipantPeer] = {}
        self.publications: dict[int, dict[str, PublishedTrack]] = {}
        self.audio_muted: set[int] = set()
        self._on_track_map = on_track_map
        self._on_failed = on_failed

    async def attach(
        self, participant_id: int, offer_sdp: str, *, publish: bool, receive: bool
    ) -> str:
        """Negotiate a (new) peer connection for the participant and return the answer SDP.

        A second attach for the same participant replaces the old connection (reconnect).
        A refused offer leaves the participant's previous connection, and everyone else's, as is.
        """
        peer = ParticipantPeer(
            participant_id=participant_id,
            publish=publish,
            receive=receive,
            ice_servers=self.ice_servers,
            on_track=self._track_published,
            on_failed=self._peer_failed,
        )
        staged: dict[str, PublishedTrack] = {}
        peer_tracks: list[tuple[MediaStreamTrack, RTCRtpReceiver]] = []

        def collect(_peer: ParticipantPeer, track: MediaStreamTrack, rx: RTCRtpReceiver) -> None:
            peer_tracks.append((track, rx))

        peer.on_track = collect
        answer = await peer.negotiate(offer_sdp)
        old = self.peers.get(participant_id)
        if old is not None:
            await self._drop(participant_id)
        self.peers[participant_id] = peer
        peer.audio_only = old.audio_only if old is not None else False
        peer.on_track = self._track_published
        for track, receiver in peer_tracks:
            staged[track.kind] = self._publication(participant_id, track, receiver)
        if staged:
            self.publications[participant_id] = staged
            if participant_id in self.audio_muted and "audio" in staged:
                staged["audio"].muted = True
        self._rebalance()
        self._apply_audio_only(peer)
        log.info(
            "hearing %s participant %s: media attached (%s published, %d slots)",
            self.hearing_id, participant_id, ",".join(sorted(staged)) or "nothing",
            len(peer.slots),
        )  # fmt: skip
        return answer

    def _publication(
        self, participant_id: int, track: MediaStreamTrack, receiver: RTCRtpReceiver
    ) -> PublishedTrack:
        async def request_pli() -> None:
            for source in receiver.getSynchronizationSources():
                await receiver._send_rtcp_pli(source.source)

        return PublishedTrack(track, participant_id=participant_id, request_pli=request_pli)

    def _track_published(
        self, peer: ParticipantPeer, track: MediaStreamTrack, receiver: RTCRtpReceiver
    ) -> None:
        publication = self._publication(peer.participant_id, track, receiver)
        self.publications.setdefault(peer.participant_id, {})[track.kind] = publication
        self._rebalance()

    def _peer_failed(self, peer: ParticipantPeer) -> None:
        if self.peers.get(peer.participant_id) is peer and self._on_failed is not None:
            self._on_failed(peer.participant_id)

    async def detach(self, participant_id: int) -> None:
        if participant_id in self.peers:
            await self._drop(participant_id)
            self._rebalance()

    async def _drop(self, participant_id: int) -> None:
        peer = self.peers.pop(participant_id, None)
        publications = self.publications.pop(participant_id, {})
        await asyncio.gather(*(p.close() for p in publications.values()))
        if peer is not None:
            await peer.close()

    def set_audio_muted(self, participant_id: int, muted: bool) -> None:
        if muted:
            self.audio_muted.add(participant_id)
        else:
            self.audio_muted.discard(participant_id)
        audio = self.publications.get(participant_id, {}).get("audio")
        if audio is not None:
            audio.muted = muted

    def set_audio_only(self, participant_id: int, audio_only: bool) -> None:
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
        peer = self.peers.get(participant_id)
        if peer is None:
            return []
        return [
            {
                "participant_id": slot.publisher_id,
                "audio_mid": slot.audio_mid,
                "video_mid": slot.video_mid,
            }
            for slot in peer.slots
            if slot.publisher_id is not None
        ]

    def _rebalance(self) -> None:
        """Point every subscriber's slots at the current publishers, keeping existing ones."""
        publishers = sorted(self.publications)
        for subscriber_id, peer in self.peers.items():
            wanted = [p for p in publishers if p != subscriber_id]
            changed = False
            for slot in peer.slots:
                if slot.publisher_id is not None and slot.publisher_id not in wanted:
                    slot.publisher_id = None
                    changed = True
            shown = {slot.publisher_id for slot in peer.slots}
            free = [slot for slot in peer.slots if slot.publisher_id is None]
            for publisher_id, slot in zip(
                [p for p in wanted if p not in shown], free, strict=False
            ):
                slot.publisher_id = publisher_id
                changed = True
            for slot in peer.slots:
                tracks = self.publications.get(slot.publisher_id or -1, {})
                slot.audio.assign(tracks.get("audio"))
                slot.video.assign(tracks.get("video"))
            if changed and self._on_track_map is not None:
                self._on_track_map(subscriber_id, self.track_map(subscriber_id))

    async def close(self) -> None:
        for participant_id in list(self.peers):
            await self._drop(participant_id)
        for publications in self.publications.values():
            await asyncio.gather(*(p.close() for p in publications.values()))
        self.publications.clear()
