"""RTP-level receive hooks into aiortc 1.16 internals, and the check of every internal we use.

Receiving: ``ReceiverHook`` replaces a publishing ``RTCRtpReceiver``'s per-packet handler. It
keeps what the publisher needs from us — receiver reports (the receiver's own RTCP task reads
the statistics updated here), NACKs for lost packets, REMB from the bitrate estimator, RTX
unwrapped — and hands every packet to a sink instead of depacketising it and assembling frames
in a jitter buffer. The publisher's sender reports are passed on for lip sync. Once the
receiver is started its packets come through the receive shortcut (``rtp_receive``), straight
from the socket; aiortc's own path still brings the first packets, and all of them on TURN/TCP.

Sending (``SenderHook``) is ``rtp_send``. ``check_internals`` checks both sides (and the
bitrate estimator's hook).

``check_internals`` fails loudly if an aiortc upgrade moves any of this.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import aiortc.rtcdtlstransport as rtcdtlstransport
import aiortc.rtcrtpreceiver as rtcrtpreceiver
from aioice.ice import Connection, StunProtocol
from aiortc import RTCRtpReceiver
from aiortc import clock as aiortc_clock
from aiortc.codecs import is_rtx
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpReceiveParameters,
)
from aiortc.rtp import (
    RTCP_PSFB_APP,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unwrap_rtx,
)

from signaling.media import estimator, internals, rtp_receive, rtp_send
from signaling.media.internals import private as _private

log = logging.getLogger(__name__)

ACTIVE_SOURCE_REFRESH_MS = 1000  # getSynchronizationSources() looks 10 s back

RtpSink = Callable[[RtpPacket], None]


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


# (object, attribute, parameter names) of every private aiortc callable used above.
_RECEIVER = rtcrtpreceiver.RTCRtpReceiver
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
    (_DTLS, "_handle_rtcp_data", "await recipient._handle_rtcp_packet(packet)"),
    (_DTLS, "_handle_rtp_data", "await receiver._handle_rtp_packet(packet, arrival_time_ms="),
    (Connection, "__init__", "self._protocols: list[StunProtocol] = []"),  # the shortcut's
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
            (*_SIGNATURES, *rtp_send.SIGNATURES, *estimator.SIGNATURES),
            (*_SOURCE_FRAGMENTS, *rtp_send.FRAGMENTS, *estimator.FRAGMENTS),
        )
    )
