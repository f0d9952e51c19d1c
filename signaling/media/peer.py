"""One participant's server-side peer connection: its published tracks and its receive slots.

Pre-allocated slots instead of renegotiation: the client offers one send-only audio and video
section for its own media and pairs of receive-only sections ("slots"). Whoever joins or leaves,
the server only re-points slots at other publishers and tells the client (``track_map``); no
peer connection is renegotiated, so nobody else's media is interrupted.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from signaling.media import passthrough
from signaling.media.forwarding import SlotStream
from signaling.media.rtp_hooks import ReceiverHook
from signaling.media.rtp_send import SenderHook
from signaling.media.sdp_guard import check_offer
from signaling.protocol.media_errors import NEGOTIATION_FAILED, NegotiationFailed

log = logging.getLogger(__name__)
PREFERRED_MIME = {"video": "video/VP8", "audio": "audio/opus"}
NEGOTIATION_TIMEOUT_S = 15.0


def preferred_codecs(kind: str) -> list[RTCRtpCodecCapability]:
    capabilities = RTCRtpSender.getCapabilities(kind)
    # RTX stays allowed for video: the publisher's retransmissions are forwarded, and NACKs
    # from subscribers are answered on their RTX stream.
    wanted = {PREFERRED_MIME[kind].lower(), "video/rtx"}
    return [c for c in capabilities.codecs if c.mimeType.lower() in wanted]


@dataclass
class Slot:
    index: int
    audio_mid: str
    video_mid: str
    audio: SlotStream
    video: SlotStream
    publisher_id: int | None = None


@dataclass
class ParticipantPeer:
    participant_id: int
    publish: bool
    receive: bool
    ice_servers: list[RTCIceServer]
    on_failed: Callable[[ParticipantPeer], None]
    pc: RTCPeerConnection | None = None
    slots: list[Slot] = field(default_factory=list)
    published: dict[str, ReceiverHook] = field(default_factory=dict)
    audio_only: bool = False

    async def negotiate(self, offer_sdp: str) -> str:
        """Answer the client's offer; raises ``MediaError`` and leaves nothing running."""
        summary = check_offer(offer_sdp)
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=self.ice_servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.pc = pc
        publishing_kinds: set[str] = set()
        audio_slots: list[tuple[str, SlotStream]] = []
        video_slots: list[tuple[str, SlotStream]] = []
        receiver_hooks: dict[int, ReceiverHook] = {}
        try:
            for section in summary.sections:
                client_sends = section.direction in ("sendonly", "sendrecv")
                client_receives = section.direction in ("recvonly", "sendrecv")
                if client_sends and section.kind not in publishing_kinds and self.publish:
                    publishing_kinds.add(section.kind)
                    direction = "recvonly"
                    stream: SlotStream | None = None
                elif client_receives and self.receive:
                    direction = "sendonly"
                    stream = SlotStream(section.kind, f"{self.participant_id}:{section.mid}")
                    (audio_slots if section.kind == "audio" else video_slots).append(
                        (section.mid, stream)
                    )
                else:
                    direction, stream = "inactive", None
                transceiver = pc.addTransceiver(section.kind, direction=direction)
                transceiver.setCodecPreferences(preferred_codecs(section.kind))
                passthrough.deliver_on_loop(transceiver.receiver)
                if stream is not None:
                    # RTP written by the stream; PLI/FIR and NACKs from this subscriber to it.
                    SenderHook(transceiver.sender, stream)
                elif direction == "recvonly":
                    receiver_hooks[id(transceiver.receiver)] = ReceiverHook(transceiver.receiver)
            self.slots = [
                Slot(i, a_mid, v_mid, a_track, v_track)
                for i, ((a_mid, a_track), (v_mid, v_track)) in enumerate(
                    zip(audio_slots, video_slots, strict=False)
                )
            ]

            @pc.on("track")
            def _track(track: MediaStreamTrack) -> None:
                transceiver = next(
                    (t for t in pc.getTransceivers() if t.receiver.track is track), None
                )
                # Only sections we answered as receiving are publications (not an observer's).
                if transceiver is not None and transceiver.direction == "recvonly":
                    hook = receiver_hooks.get(id(transceiver.receiver))
                    if hook is not None:
                        self.published.setdefault(track.kind, hook)

            @pc.on("connectionstatechange")
            def _state() -> None:
                if pc.connectionState == "failed":
                    self.on_failed(self)

            async with asyncio.timeout(NEGOTIATION_TIMEOUT_S):  # ICE gathering included
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
                answer = await pc.createAnswer()
                await pc.setLocalDescription(answer)
            assert pc.localDescription is not None
            return str(pc.localDescription.sdp)
        except asyncio.CancelledError:
            await self.close()
            raise
        except Exception as exc:
            # aiortc raises ValueError, RuntimeError, AttributeError, IndexError, AssertionError
            # or KeyError on bad SDP. Its text stays in the log: the client gets one fixed
            # sentence (no exception text ever reaches a client).
            await self.close()
            log.info("participant %s: offer refused: %r", self.participant_id, exc)
            raise NegotiationFailed(NEGOTIATION_FAILED) from None

    @property
    def connection_state(self) -> str:
        return self.pc.connectionState if self.pc is not None else "closed"

    async def close(self) -> None:
        pc, self.pc = self.pc, None
        for slot in self.slots:
            slot.audio.stop()
            slot.video.stop()
        self.slots = []
        self.published = {}
        if pc is None:
            return
        try:
            await asyncio.wait_for(pc.close(), timeout=5)
        except Exception as exc:  # aiortc's close can itself raise after a bad offer
            log.warning("participant %s: closing the peer raised %r", self.participant_id, exc)
