"""RTP-level forwarding hooks into aiortc 1.16 internals (the only other module touching them).

Receiving: ``ReceiverHook`` replaces a publishing ``RTCRtpReceiver``'s per-packet handler. It
keeps what the publisher needs from us — receiver reports (the receiver's own RTCP task reads
the statistics updated here), NACKs for lost packets, REMB from the bitrate estimator, RTX
unwrapped — and hands every packet to a sink instead of depacketising it and assembling frames
in a jitter buffer. The publisher's sender reports are passed on for lip sync. Once the
receiver is started its packets come through the receive shortcut (``rtp_receive``), straight
from the socket; aiortc's own path still brings the first packets, and all of them on TURN/TCP.

Sending: ``SenderHook`` turns a subscriber's ``RTCRtpSender`` into a shell: its RTP task idles
(no track, no encoder, no packetiser), its RTCP task sends sender reports computed by the
stream handler from what was actually forwarded, and RTCP from the subscriber (NACK, PLI/FIR)
goes to the handler. Packets are written straight to the DTLS transport: SRTP-protected and
``sendto`` in one call when the selected ICE pair is plain UDP, through aiortc's own
``_send_rtp`` otherwise (TURN, TCP).

``check_internals`` fails loudly if an aiortc upgrade moves any of this.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import aiortc.rtcdtlstransport as rtcdtlstransport
import aiortc.rtcrtpreceiver as rtcrtpreceiver
import aiortc.rtcrtpsender as rtcrtpsender
import pylibsrtp
from aioice.ice import Connection, StunProtocol
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc import clock as aiortc_clock
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpReceiveParameters,
    RTCRtpSendParameters,
)
from aiortc.rtp import (
    RTCP_PSFB_APP,
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
    RtpPacket,
    pack_remb_fci,
    unwrap_rtx,
)

from signaling.media import estimator, internals, rtp_receive
from signaling.media.rtp_packets import ExtensionIds, ntp_timestamp

log = logging.getLogger(__name__)

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ACTIVE_SOURCE_REFRESH_MS = 1000  # getSynchronizationSources() looks 10 s back

RtpSink = Callable[[RtpPacket], None]


def _private(owner: object, cls: type, name: str) -> Any:
    return getattr(owner, f"_{cls.__name__}__{name}")


class ReceiverHook:
    """A publishing receiver whose packets go to ``sink`` as they arrive (no jitter buffer)."""

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        self.receiver = receiver
        self.sink: RtpSink | None = None
        # (RTP timestamp, time.time() when the report arrived) of the publisher's last SR
        self.on_sender_report: Callable[[int, float], None] | None = None
        self.media_ssrc: int | None = None
        self.sink_failures = 0
        self._codecs: dict[int, RTCRtpCodecParameters] = _private(
            receiver, RTCRtpReceiver, "codecs"
        )
        self._streams: dict[int, Any] = _private(receiver, RTCRtpReceiver, "remote_streams")
        self._rtx_ssrc: dict[int, int] = _private(receiver, RTCRtpReceiver, "rtx_ssrc")
        self._nack = _private(receiver, RTCRtpReceiver, "nack_generator")
        self._estimator = _private(receiver, RTCRtpReceiver, "remote_bitrate_estimator")
        if self._estimator is not None:
            estimator.speed_up(self._estimator)
        self._active: dict[int, Any] = _private(receiver, RTCRtpReceiver, "active_ssrc")
        self._active_noted: dict[int, int] = {}
        # RTX payload type → the payload type it repairs (None: nothing valid to unwrap to)
        self._rtx_types: dict[int, int | None] = {}
        self._sending: set[asyncio.Task[None]] = set()
        self._handle_rtcp = receiver._handle_rtcp_packet
        self._receive_parameters = receiver.receive
        self._stop_receiver = receiver.stop
        receiver.receive = self._receive  # type: ignore[method-assign]
        receiver.stop = self._stop  # type: ignore[method-assign]
        receiver._handle_rtp_packet = self._handle_rtp_packet  # type: ignore[method-assign]
        receiver._handle_rtcp_packet = self._handle_rtcp_packet  # type: ignore[method-assign]

    async def _receive(self, parameters: RTCRtpReceiveParameters) -> None:
        await self._receive_parameters(parameters)
        self._rtx_types = {
            payload_type: apt if isinstance(apt, int) and apt in self._codecs else None
            for payload_type, codec in self._codecs.items()
            if is_rtx(codec)
            for apt in [codec.parameters.get("apt")]
        }
        rtp_receive.attach(self.receiver, self)  # the transport is up: packets come straight

    async def _stop(self) -> None:
        rtp_receive.detach(self.receiver)
        await self._stop_receiver()

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.handle(packet, arrival_time_ms)  # aiortc's own path (first packets, TURN, TCP)

    def handle(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """One RTP packet from the publisher, as it arrives."""
        receiver = self.receiver
        if not receiver._enabled:
            return
        bandwidth = self._estimator
        if bandwidth is not None and packet.extensions.abs_send_time is not None:
            remb = bandwidth.add(
                abs_send_time=packet.extensions.abs_send_time,
                arrival_time_ms=arrival_time_ms,
                payload_size=len(packet.payload) + packet.padding_size,
                ssrc=packet.ssrc,
            )
            rtcp_ssrc = _private(receiver, RTCRtpReceiver, "rtcp_ssrc")
            if remb is not None and rtcp_ssrc is not None:
                self._later(
                    receiver._send_rtcp(
                        RtcpPsfbPacket(
                            fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0,
                            fci=pack_remb_fci(*remb),
                        )
                    )
                )  # fmt: skip
        ssrc = packet.ssrc
        if arrival_time_ms - self._active_noted.get(ssrc, -ACTIVE_SOURCE_REFRESH_MS) >= (
            ACTIVE_SOURCE_REFRESH_MS
        ):
            self._active[ssrc] = aiortc_clock.current_datetime()
            self._active_noted[ssrc] = arrival_time_ms
        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            return
        statistics = self._streams.get(ssrc)
        if statistics is None:
            statistics = self._streams[ssrc] = rtcrtpreceiver.StreamStatistics(codec.clockRate)
        statistics.add(packet)
        if packet.payload_type in self._rtx_types:
            original_ssrc = self._rtx_ssrc.get(ssrc)
            apt = self._rtx_types[packet.payload_type]
            if (
                original_ssrc is None
                or len(packet.payload) < 2  # padding only: bandwidth probing
                or apt is None
            ):
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
        self.media_ssrc = packet.ssrc
        nack = self._nack
        if nack is not None and nack.add(packet):
            self._later(receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing)))
        if self.sink is not None:
            try:
                self.sink(packet)
            except Exception:  # never into aiortc's transport loop: it would end the connection
                self.sink_failures += 1
                if self.sink_failures in (1, 10, 100) or self.sink_failures % 10_000 == 0:
                    log.exception("forwarding a packet failed (%d times)", self.sink_failures)

    def _later(self, sending: Coroutine[Any, Any, None]) -> None:
        """Send RTCP to the publisher without holding up the packet (REMB, NACK)."""
        task = asyncio.get_running_loop().create_task(sending)
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("RTCP to the publisher not sent: %r", task.exception())

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        await self._handle_rtcp(packet)
        report = self.on_sender_report
        if (
            isinstance(packet, RtcpSrPacket)
            and report is not None
            and packet.ssrc not in self._rtx_ssrc
        ):
            report(packet.sender_info.rtp_timestamp, time.time())

    async def request_keyframe(self) -> None:
        """Send the publisher an RTCP PLI for its media stream."""
        if self.media_ssrc is not None:
            await self.receiver._send_rtcp_pli(self.media_ssrc)
            return
        for source in self.receiver.getSynchronizationSources():
            await self.receiver._send_rtcp_pli(source.source)


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


# (object, attribute, parameter names) of every private aiortc callable used above.
_RECEIVER = rtcrtpreceiver.RTCRtpReceiver
_SENDER = rtcrtpsender.RTCRtpSender
_DTLS = rtcdtlstransport.RTCDtlsTransport
_SIGNATURES: tuple[tuple[object, str, tuple[str, ...]], ...] = (
    (_RECEIVER, "_handle_rtp_packet", ("self", "packet", "arrival_time_ms")),
    (_RECEIVER, "_handle_rtcp_packet", ("self", "packet")),
    (_RECEIVER, "_send_rtcp", ("self", "packet")),
    (_RECEIVER, "_send_rtcp_nack", ("self", "media_ssrc", "lost")),
    (_RECEIVER, "_send_rtcp_pli", ("self", "media_ssrc")),
    (_RECEIVER, "receive", ("self", "parameters")),
    (_RECEIVER, "stop", ("self",)),
    (rtcrtpreceiver.StreamStatistics, "__init__", ("self", "clockrate")),
    (_SENDER, "send", ("self", "parameters")),
    (_SENDER, "_run_rtp", ("self", "codec")),
    (_SENDER, "_run_rtcp", ("self",)),
    (_SENDER, "_handle_rtcp_packet", ("self", "packet")),
    (_SENDER, "_send_rtcp", ("self", "packets")),
    (_DTLS, "_send_rtp", ("self", "data")),
    (Connection, "sendto", ("self", "data", "component")),
    (StunProtocol, "send_data", ("self", "data", "addr")),
    (StunProtocol, "datagram_received", ("self", "data", "addr")),
    (rtcdtlstransport.RtpRouter, "route_rtp", ("self", "packet")),
)
# (object, attribute, source fragment) that show the data flow and state this module relies on.
_SOURCE_FRAGMENTS: tuple[tuple[object, str, str], ...] = (
    (_RECEIVER, "__init__", "self.__codecs: dict[int, RTCRtpCodecParameters] = {}"),
    (_RECEIVER, "__init__", "self.__remote_streams: dict[int, StreamStatistics] = {}"),
    (_RECEIVER, "__init__", "self.__rtx_ssrc: dict[int, int] = {}"),
    (_RECEIVER, "__init__", "self.__active_ssrc: dict[int, datetime.datetime] = {}"),
    (_RECEIVER, "__init__", "self.__nack_generator = NackGenerator()"),
    (_RECEIVER, "__init__", "self.__remote_bitrate_estimator = RemoteBitrateEstimator()"),
    (_RECEIVER, "__init__", "self.__rtcp_ssrc: Optional[int] = None"),
    (_RECEIVER, "_handle_rtp_packet", "if not self._enabled:"),
    (_RECEIVER, "_handle_rtp_packet", "self.__remote_streams[packet.ssrc].add(packet)"),
    (_RECEIVER, "_handle_rtp_packet", "packet = unwrap_rtx(packet, payload_type=apt"),
    (_RECEIVER, "_handle_rtp_packet", "self.__nack_generator.add(packet)"),
    (_RECEIVER, "_handle_rtp_packet", "self.__remote_bitrate_estimator.add("),
    (_RECEIVER, "_run_rtcp", "for ssrc, stream in self.__remote_streams.items():"),
    (_SENDER, "__init__", "self.__rtp_started = asyncio.Event()"),
    (_SENDER, "__init__", "self.__rtcp_started = asyncio.Event()"),
    (_SENDER, "send", "self.__cname = parameters.rtcp.cname"),
    (_SENDER, "send", "asyncio.ensure_future(self._run_rtp(parameters.codecs[0]))"),
    (_SENDER, "send", "asyncio.ensure_future(self._run_rtcp())"),
    (_SENDER, "stop", "await asyncio.gather(self.__rtp_exited.wait(), self.__rtcp_exited.wait())"),
    (_DTLS, "_send_rtp", "data = self._tx_srtp.protect(data)"),
    (_DTLS, "_send_rtp", "if self._state != State.CONNECTED:"),
    (_DTLS, "_handle_rtcp_data", "await recipient._handle_rtcp_packet(packet)"),
    (_DTLS, "_handle_rtp_data", "await receiver._handle_rtp_packet(packet, arrival_time_ms="),
    (Connection, "sendto", "active_pair = self._nominated.get(component)"),
    (Connection, "__init__", "self._protocols: list[StunProtocol] = []"),  # the shortcut's
    (Connection, "check_complete", "self._nominated[pair.component] = pair"),  # renomination
    (StunProtocol, "send_data", "self.transport.sendto(data, addr)"),
    # the receive shortcut (rtp_receive) does what these do, for packets of known SSRCs
    (StunProtocol, "datagram_received", "self.receiver.data_received(data, self.local_candidate"),
    (_DTLS, "_recv_next", "self.__rx_bytes += len(data)"),
    (_DTLS, "_recv_next", "self.__rx_packets += 1"),
    (_DTLS, "_recv_next", "data = self._rx_srtp.unprotect(data)"),
    (_DTLS, "_recv_next", "arrival_time_ms = clock.current_ms()"),
    (_DTLS, "_handle_rtp_data", "RtpPacket.parse(data, self._rtp_header_extensions_map)"),
    (_DTLS, "_handle_rtp_data", "receiver = self._rtp_router.route_rtp(packet)"),
    (rtcdtlstransport.RtpRouter, "route_rtp", "ssrc_receiver = self.ssrc_table.get(packet.ssrc)"),
    (_RECEIVER, "receive", "self.__transport._register_rtp_receiver(self, parameters)"),
)


def check_internals() -> None:
    """Raise if the aiortc/aioice internals this module relies on have moved."""
    internals.require_unmoved(
        internals.moved(
            (*_SIGNATURES, *estimator.SIGNATURES), (*_SOURCE_FRAGMENTS, *estimator.FRAGMENTS)
        )
    )
