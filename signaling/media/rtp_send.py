"""The sending side of the RTP-level hooks into aiortc 1.16 internals.

Sending: ``SenderHook`` turns a subscriber's ``RTCRtpSender`` into a shell: its RTP task idles
(no track, no encoder, no packetiser), its RTCP task sends sender reports computed by the
stream handler from what was actually forwarded, and RTCP from the subscriber (NACK, PLI/FIR)
goes to the handler. Packets are written straight to the DTLS transport: SRTP-protected and
``sendto`` in one call when the selected ICE pair is plain UDP, through aiortc's own
``_send_rtp`` otherwise (TURN, TCP).

``SIGNATURES`` and ``FRAGMENTS`` list the internals this relies on (``rtp_hooks.check_internals``
checks them at start-up).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aiortc.rtcdtlstransport as rtcdtlstransport
import aiortc.rtcrtpsender as rtcrtpsender
import pylibsrtp
from aioice.ice import Connection, StunProtocol
from aiortc import RTCRtpSender
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtp import (
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpByePacket,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSourceInfo,
    RtcpSrPacket,
)

from signaling.media import rtp_receive
from signaling.media.internals import Fragment, Signature
from signaling.media.internals import private as _private
from signaling.media.rtp_packets import ExtensionIds, ntp_timestamp

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"


@dataclass(frozen=True)
class SendConfig:
    """What a subscriber negotiated for one slot section."""

    ssrc: int
    rtx_ssrc: int
    payload_type: int
    rtx_payload_type: int | None
    clock_rate: int
    mid: str
    extension_ids: ExtensionIds


class PacketSender(Protocol):
    """Where a stream's packets go: ``fast_send`` when it can send at once, else ``send``."""

    fast_send: Callable[[bytes], bool] | None

    async def send(self, data: bytes) -> None: ...


class OutgoingHandler(Protocol):
    def configure(self, config: SendConfig, transmitter: PacketSender) -> None: ...
    async def retransmit(self, sequences: list[int]) -> None: ...
    def request_keyframe(self) -> None: ...
    def sender_info(self, wall_s: float) -> RtcpSenderInfo | None: ...


class Transmitter:
    """Writes RTP to one peer connection's DTLS transport."""

    def __init__(self, dtls: RTCDtlsTransport) -> None:
        self._dtls = dtls
        self.fast_send: Callable[[bytes], bool] | None = self._fast_send()

    def _fast_send(self) -> Callable[[bytes], bool] | None:
        dtls = self._dtls
        srtp = dtls._tx_srtp
        if rtp_receive.plain_udp_pair(dtls) is None or srtp is None:
            return None
        nominated = dtls.transport._connection._nominated
        connected = rtcdtlstransport.State.CONNECTED

        def send(data: bytes) -> bool:
            # the pair in use now: the browser (controlling ICE) may nominate another one
            pair = nominated.get(1)
            if pair is None or type(pair.protocol) is not StunProtocol:
                return False  # a TURN or TCP pair now: the general path
            udp = pair.protocol.transport
            if dtls._state is not connected or udp is None or udp.is_closing():
                raise ConnectionError("the subscriber's connection is closed")
            try:
                protected = srtp.protect(data)
            except pylibsrtp.Error as exc:
                raise ConnectionError(f"SRTP refused the packet: {exc}") from None
            udp.sendto(protected, pair.remote_addr)
            return True

        return send

    async def send(self, data: bytes) -> None:
        """The general path (any ICE pair); raises ConnectionError when not connected."""
        await self._dtls._send_rtp(data)


def _extension_ids(parameters: RTCRtpSendParameters) -> ExtensionIds:
    by_uri = {e.uri: e.id for e in parameters.headerExtensions if 0 < e.id < 15}
    return ExtensionIds(
        mid=by_uri.get(MID_URI, 0),
        abs_send_time=by_uri.get(ABS_SEND_TIME_URI, 0),
        audio_level=by_uri.get(AUDIO_LEVEL_URI, 0),
    )


class SenderHook:
    """A subscriber's sender whose packets are written by ``handler`` (see module doc)."""

    def __init__(self, sender: RTCRtpSender, handler: OutgoingHandler) -> None:
        self.sender = sender
        self.handler = handler
        self._send = sender.send
        sender.send = self._send_parameters  # type: ignore[method-assign]
        sender._run_rtp = self._run_rtp  # type: ignore[method-assign]
        sender._run_rtcp = self._run_rtcp  # type: ignore[method-assign]
        sender._handle_rtcp_packet = self._handle_rtcp_packet  # type: ignore[method-assign]

    async def _send_parameters(self, parameters: RTCRtpSendParameters) -> None:
        await self._send(parameters)
        codec = parameters.codecs[0]
        assert codec.payloadType is not None  # negotiated codecs have one
        rtx_payload_type = next(
            (c.payloadType for c in parameters.codecs
             if is_rtx(c) and c.parameters.get("apt") == codec.payloadType),
            None,
        )  # fmt: skip
        config = SendConfig(
            ssrc=self.sender._ssrc, rtx_ssrc=self.sender._rtx_ssrc,
            payload_type=codec.payloadType, rtx_payload_type=rtx_payload_type,
            clock_rate=codec.clockRate, mid=parameters.muxId or "",
            extension_ids=_extension_ids(parameters),
        )  # fmt: skip
        self.handler.configure(config, Transmitter(self.sender.transport))

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> None:
        _private(self.sender, RTCRtpSender, "rtp_started").set()
        try:
            await asyncio.get_running_loop().create_future()  # the handler sends
        finally:  # stop() cancels this task and waits for the event
            _private(self.sender, RTCRtpSender, "rtp_exited").set()

    async def _run_rtcp(self) -> None:
        sender = self.sender
        _private(sender, RTCRtpSender, "rtcp_started").set()
        cname: str | None = _private(sender, RTCRtpSender, "cname")
        try:
            while True:
                # aiortc's interval: randomly 0.5-1.5 s (RFC 3550 6.3.1)
                await asyncio.sleep(random.uniform(0.5, 1.5))  # noqa: S311 (not a secret)
                info = self.handler.sender_info(time.time())
                if info is None:
                    continue  # nothing sent on this slot yet: nothing to report
                packets: list[AnyRtcpPacket] = [RtcpSrPacket(ssrc=sender._ssrc, sender_info=info)]
                if cname is not None:
                    chunk = RtcpSourceInfo(ssrc=sender._ssrc, items=[(1, cname.encode())])
                    packets.append(RtcpSdesPacket(chunks=[chunk]))
                await sender._send_rtcp(packets)
        except asyncio.CancelledError:
            await sender._send_rtcp([RtcpByePacket(sources=[sender._ssrc])])
            raise
        finally:  # stop() cancels this task and waits for the event
            _private(sender, RTCRtpSender, "rtcp_exited").set()

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            await self.handler.retransmit(packet.lost)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_FIR, RTCP_PSFB_PLI):
            self.handler.request_keyframe()


def sender_info(wall_s: float, rtp_timestamp: int, packets: int, octets: int) -> RtcpSenderInfo:
    return RtcpSenderInfo(
        ntp_timestamp=ntp_timestamp(wall_s),
        rtp_timestamp=rtp_timestamp & 0xFFFFFFFF,
        packet_count=packets & 0xFFFFFFFF,
        octet_count=octets & 0xFFFFFFFF,
    )


_SENDER = rtcrtpsender.RTCRtpSender
_DTLS = rtcdtlstransport.RTCDtlsTransport
SIGNATURES: tuple[Signature, ...] = (
    (_SENDER, "send", ("self", "parameters")),
    (_SENDER, "_run_rtp", ("self", "codec")),
    (_SENDER, "_run_rtcp", ("self",)),
    (_SENDER, "_handle_rtcp_packet", ("self", "packet")),
    (_SENDER, "_send_rtcp", ("self", "packets")),
    (_DTLS, "_send_rtp", ("self", "data")),
)
FRAGMENTS: tuple[Fragment, ...] = (
    (_SENDER, "__init__", "self.__rtp_started = asyncio.Event()"),
    (_SENDER, "__init__", "self.__rtcp_started = asyncio.Event()"),
    (_SENDER, "send", "self.__cname = parameters.rtcp.cname"),
    (_SENDER, "send", "asyncio.ensure_future(self._run_rtp(parameters.codecs[0]))"),
    (_SENDER, "send", "asyncio.ensure_future(self._run_rtcp())"),
    (_SENDER, "stop", "await asyncio.gather(self.__rtp_exited.wait(), self.__rtcp_exited.wait())"),
    (_DTLS, "_send_rtp", "data = self._tx_srtp.protect(data)"),
    (_DTLS, "_send_rtp", "if self._state != State.CONNECTED:"),
    (Connection, "sendto", "active_pair = self._nominated.get(component)"),
    (Connection, "check_complete", "self._nominated[pair.component] = pair"),  # renomination
)
